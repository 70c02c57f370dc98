export { buildConfig, ConfigError } from './config.js';
export type { Config, RawOptions, RetryPolicy } from './config.js';
export { loadDefaults, packageRoot } from './defaults.js';
export { parseByteSize, parseDuration, parseListenAddress } from './units.js';
