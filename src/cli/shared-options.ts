// Option builders shared by commands. Each option has an environment twin RELAYD_<NAME> (yargs .env)
// and its default from the embedded config/relayd.yaml.
import type { Argv } from 'yargs';

const START_OPTIONS: Record<string, string> = {
  listen: 'Address to listen on for runners (host:port)',
  upstream: 'Cloud ingest API to forward to (what K6_CLOUD_HOST would otherwise be)',
  'data-dir': 'Directory of the LevelDB queue (created if missing)',
  'run-timeout': 'Time without data nor finish after which a run is timed out (run_status 4)',
  'create-timeout': 'How long a create may wait for the cloud before relayd answers with a provisional id',
  'upstream-timeout': 'Per-attempt timeout of an upstream request',
  'upstream-connections': 'Parallel connections to the upstream',
  'retry-initial-delay': 'Upper bound of the first retry wait (full jitter, doubling)',
  'retry-max-delay': 'Upper bound of any retry wait',
  'max-body-size': 'Largest request body accepted from a runner, as received',
  'max-decompressed-size': 'Largest body after decompression (decompression bombs stop here)',
  'log-level': 'Log level: trace, debug, info, warn, error, fatal, silent',
};

export function withStartOptions<T>(yargs: Argv<T>, defaults: Record<string, string>): Argv<T> {
  let built = yargs;
  for (const [name, describe] of Object.entries(START_OPTIONS)) {
    built = built.option(name, { type: 'string', describe, default: defaults[name], group: 'Daemon options:' });
  }
  return built;
}
