// `relayd check`: verifies a store offline and reports runs, items, bytes and anything unreadable.
import type { CommandModule } from 'yargs';
import { EXIT_CODES_HELP, withDataDir } from '../offline-store.js';

export function checkCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'check',
    describe: 'Verify a store offline: runs, pending items, bytes, dead letters and unreadable entries',
    builder: (yargs) =>
      withDataDir(yargs, defaults).option('json', { type: 'boolean', describe: 'Print the report as JSON' }).epilogue(EXIT_CODES_HELP),
    handler: async (argv) => {
      const { runCheck } = await import('./check-run.js');
      process.exitCode = await runCheck(String(argv['data-dir']), argv.json === true);
    },
  };
}
