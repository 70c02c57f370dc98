// `relayd config print`: the effective configuration, each option with its value (secrets masked) and
// where it came from: the defaults, the login file, --config FILE, the environment or a flag.
import type { CommandModule } from 'yargs';
import { withDaemonOptions } from '../shared-options.js';

export function configCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'config <action>',
    describe: 'Show the effective configuration: relayd config print [daemon options]',
    builder: (yargs) =>
      withDaemonOptions(yargs, defaults)
        .positional('action', { choices: ['print'] as const, describe: 'print: every option, its value and where it came from' })
        .option('json', { type: 'boolean', describe: 'Print JSON instead of a table' }),
    handler: async (argv) => {
      const { runConfigPrint } = await import('./config-run.js');
      process.exitCode = runConfigPrint(argv);
    },
  };
}
