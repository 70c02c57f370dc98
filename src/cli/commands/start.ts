// `relayd start`: runs the daemon in the foreground until SIGINT or SIGTERM.
import type { CommandModule } from 'yargs';
import { withDaemonOptions } from '../shared-options.js';

export function startCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'start',
    describe: 'Run the relay in the foreground (logs JSON lines to stdout; readable lines on a terminal)',
    builder: (yargs) => withDaemonOptions(yargs, defaults),
    handler: async (argv) => {
      const { runStart } = await import('./start-run.js');
      process.exitCode = await runStart(argv);
    },
  };
}
