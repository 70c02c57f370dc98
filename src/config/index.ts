export { buildConfig, ConfigError, parseOptions } from './config.js';
export type { Config, RawOptions, RetryPolicy } from './config.js';
export { loadDefaults, packageRoot } from './defaults.js';
export { envName, OPTIONS } from './options.js';
export type { OptionKind, OptionSpec } from './options.js';
export { parseByteSize, parseDuration, parseListenAddress } from './units.js';
