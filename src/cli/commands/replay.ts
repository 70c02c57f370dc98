// `relayd replay FILE`: uploads a k6 `--out json` results file (NDJSON, possibly gzipped) as a new
// cloud run, streamed through the running daemon, which aggregates and forwards it like any run.
import type { CommandModule } from 'yargs';
import { withClientOptions, withDaemonOptions } from '../shared-options.js';

export const REPLAY_EXIT_HELP =
  'Exit codes: 0 every sample acknowledged and the run finished; 1 the file or relayd refused (the run, if created, ' +
  'is finished as aborted); 2 bad command line; 3 no daemon answered.';

export function replayCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'replay <file>',
    describe: 'Upload a k6 --out json results file (.json or .json.gz) as a new cloud run, through the running daemon',
    builder: (yargs) =>
      withClientOptions(withDaemonOptions(yargs, defaults))
        .positional('file', { type: 'string', describe: 'The results file k6 wrote with --out json=FILE' })
        .option('name', { type: 'string', describe: 'Name of the cloud run (default: the file name)' })
        .option('protocol', { choices: ['v1', 'v2'], describe: 'Upstream protocol relayd aggregates the samples into (default: per --upstream-protocol; auto is v2)' })
        .option('batch-size', { type: 'number', default: 1000, describe: 'Samples per stream batch' })
        .option('run-status', { type: 'number', default: 3, describe: 'k6 run_status the run finishes with (3 finished, 5 aborted by user, …)' })
        .epilogue(REPLAY_EXIT_HELP),
    handler: async (argv) => {
      const { runReplay } = await import('./replay-run.js');
      process.exitCode = await runReplay(argv);
    },
  };
}
