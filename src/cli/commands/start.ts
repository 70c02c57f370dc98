// `relayd start`: runs the daemon in the foreground until SIGINT or SIGTERM.
import type { CommandModule } from 'yargs';
import { withDaemonOptions } from '../shared-options.js';

export function startCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'start',
    describe: 'Run the relay in the foreground (logs JSON lines to stdout; readable lines on a terminal)',
    builder: (yargs) => withDaemonOptions(yargs, defaults),
    handler: runStartCommand,
  };
}

/** `relayd start` with its flags parsed, by yargs or without it (main.ts). */
export async function runStartCommand(flags: Record<string, unknown>): Promise<void> {
  const { runStart } = await import('./start-run.js');
  process.exitCode = await runStart(flags);
}
