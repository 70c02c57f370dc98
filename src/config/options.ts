// The one table of relayd's options: name (flag and config-file key), kind (how its text is parsed)
// and help text. Defaults live in config/relayd.yaml; the environment twin of `name` is
// RELAYD_<NAME>. The CLI builds its flags from this table and buildConfig parses by `kind`, so a new
// option is one row here, one line in relayd.yaml and one field in Config.

export type OptionKind = 'address' | 'url' | 'path' | 'duration' | 'size' | 'count' | 'level';

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly describe: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'listen', kind: 'address', describe: 'Address to listen on for runners (host:port)' },
  { name: 'upstream', kind: 'url', describe: 'Cloud ingest API to forward to (what K6_CLOUD_HOST would otherwise be)' },
  { name: 'data-dir', kind: 'path', describe: 'Directory of the LevelDB queue (created if missing)' },
  { name: 'run-timeout', kind: 'duration', describe: 'Time without data nor finish after which a run is timed out (run_status 4)' },
  { name: 'create-timeout', kind: 'duration', describe: 'How long a create may wait for the cloud before relayd answers with a provisional id' },
  { name: 'upstream-timeout', kind: 'duration', describe: 'Per-attempt timeout of an upstream request' },
  { name: 'upstream-connections', kind: 'count', describe: 'Parallel connections to the upstream' },
  { name: 'retry-initial-delay', kind: 'duration', describe: 'Upper bound of the first retry wait (full jitter, doubling)' },
  { name: 'retry-max-delay', kind: 'duration', describe: 'Upper bound of any retry wait' },
  { name: 'max-body-size', kind: 'size', describe: 'Largest request body accepted from a runner, as received' },
  { name: 'max-decompressed-size', kind: 'size', describe: 'Largest body after decompression (decompression bombs stop here)' },
  { name: 'log-level', kind: 'level', describe: 'Log level: trace, debug, info, warn, error, fatal, silent' },
];

export function envName(option: string): string {
  return `RELAYD_${option.toUpperCase().replaceAll('-', '_')}`;
}
