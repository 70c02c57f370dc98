// `relayd status`: is the daemon up and ready, does it reach the upstream, how big and how old is its
// backlog, how many runs are in which state. A table, or --json (the admin API's status message).
import type { CommandModule } from 'yargs';
import { CLIENT_EXIT_HELP } from '../daemon-client.js';
import { withClientOptions, withDaemonOptions } from '../shared-options.js';

export function statusCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'status',
    describe: 'Show whether the daemon is up and ready, reaches the upstream, and its backlog and runs',
    builder: (yargs) => withClientOptions(withDaemonOptions(yargs, defaults)).epilogue(CLIENT_EXIT_HELP),
    handler: async (argv) => {
      const { runStatus } = await import('./status-run.js');
      process.exitCode = await runStatus(argv);
    },
  };
}
