// `relayd replay-dead-letters`: puts dead letters back in their runs' queues, to be sent again by
// the next `relayd start` once the cause (a bad token, a cloud-side bug) was fixed.
import type { CommandModule } from 'yargs';
import { EXIT_CODES_HELP, withDataDir } from '../offline-store.js';

export function replayDeadLettersCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'replay-dead-letters',
    describe: 'Re-queue dead letters (all, or of --run ID) on a stopped relayd\'s data dir; the next start sends them again',
    builder: (yargs) =>
      withDataDir(yargs, defaults)
        .option('run', { type: 'string', describe: 'Only the dead letters of this run' })
        .option('dry-run', { type: 'boolean', describe: 'Only count what would be re-queued' })
        .epilogue(
          'Works on the data dir of a stopped relayd (LevelDB admits one process): stop relayd, replay, start it again. ' +
            'Each letter keeps its headers and idempotency key and goes to the end of its run\'s queue. ' +
            EXIT_CODES_HELP,
        ),
    handler: async (argv) => {
      const { runReplayDeadLetters } = await import('./replay-dead-letters-run.js');
      const runId = typeof argv.run === 'string' ? argv.run : undefined;
      process.exitCode = await runReplayDeadLetters(String(argv['data-dir']), { runId, dryRun: argv['dry-run'] === true });
    },
  };
}
