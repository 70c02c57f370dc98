// The work of `relayd config print`. It prints what it resolved even when a value is bad (that is
// when one needs to see where it came from), then reports the problems and exits 2.
import { buildConfig, ConfigError, OPTIONS, resolvedOrigins, resolvedTexts } from '../../config/index.js';
import { resolveArgv } from '../effective-config.js';
import { formatTable } from '../table.js';

/** Masks a secret: whether it is set shows, nothing of its value does. */
const MASK = '********';

export function runConfigPrint(argv: Readonly<Record<string, unknown>>): number {
  const resolved = resolveArgv(argv);
  const entries = OPTIONS.map(({ name, secret }) => {
    const { text, source, where } = resolved[name]!;
    return { option: name, value: secret && text !== '' ? MASK : text, source, from: where };
  });
  if (argv.json === true) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  else process.stdout.write(formatTable(['OPTION', 'VALUE', 'SOURCE', 'FROM'], entries.map((e) => [e.option, e.value, e.source, e.from])));
  try {
    buildConfig(resolvedTexts(resolved), resolvedOrigins(resolved));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`relayd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
