// `relayd health [--ready]`: asks a running daemon /healthz (alive) or /readyz (takes data). Made for
// container HEALTHCHECKs and scripts: one line out, the answer in the exit code.
import type { CommandModule } from 'yargs';
import { CLIENT_EXIT_HELP } from '../daemon-client.js';
import { withClientOptions, withDaemonOptions } from '../shared-options.js';

export function healthCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'health',
    describe: 'Check that a running daemon is alive (or, with --ready, that it takes data)',
    builder: (yargs) =>
      withClientOptions(withDaemonOptions(yargs, defaults))
        .option('ready', { type: 'boolean', describe: 'Ask /readyz (takes data now) instead of /healthz (alive)' })
        .epilogue(CLIENT_EXIT_HELP),
    handler: async (argv) => {
      const { runHealth } = await import('./health-run.js');
      process.exitCode = await runHealth(argv);
    },
  };
}
