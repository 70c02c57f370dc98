// `relayd runs [ID]`: every run with its ledger, or one run in detail. A table, or --json (the admin
// API's messages).
import type { CommandModule } from 'yargs';
import { CLIENT_EXIT_HELP } from '../daemon-client.js';
import { withClientOptions, withDaemonOptions } from '../shared-options.js';

export function runsCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'runs [id]',
    describe: 'List the runs relayd knows with what it received, delivered and still holds; or one run in detail',
    builder: (yargs) =>
      withClientOptions(withDaemonOptions(yargs, defaults))
        .positional('id', { type: 'string', describe: 'A run id (as k6 printed it)' })
        .epilogue(CLIENT_EXIT_HELP),
    handler: async (argv) => {
      const { runRuns } = await import('./runs-run.js');
      process.exitCode = await runRuns(argv);
    },
  };
}
