// `relayd export`: what the store holds for a run, or every dead letter, as NDJSON.
import type { CommandModule } from 'yargs';
import { EXIT_CODES_HELP, withDataDir } from '../offline-store.js';

export function exportCommand(defaults: Record<string, string>): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'export',
    describe: 'Write what the store holds for a run (--run ID) or every dead letter (--dead-letters) as NDJSON, one request per line',
    builder: (yargs) =>
      withDataDir(yargs, defaults)
        .option('run', { type: 'string', describe: 'Export this run: pending requests, then its dead letters' })
        .option('dead-letters', { type: 'boolean', describe: 'Export every dead letter, with the reason the cloud refused it' })
        .option('output', { type: 'string', describe: 'Write to this file (mode 0600) instead of stdout' })
        .conflicts('run', 'dead-letters')
        .check((argv) => {
          if (argv.run === undefined && argv['dead-letters'] !== true) throw new Error('give --run ID or --dead-letters');
          return true;
        })
        .epilogue(
          'Each line: {"source","runId","upstreamId","seq","kind","protocol","method","path","headers","body" (base64),' +
            '"receivedAt","samples", and for dead letters "reason","deadAt"}. The Authorization header is written as [redacted]. ' +
            EXIT_CODES_HELP,
        ),
    handler: async (argv) => {
      const { runExport } = await import('./export-run.js');
      const output = typeof argv.output === 'string' ? argv.output : null;
      const what = typeof argv.run === 'string' ? { runId: argv.run } : { deadLetters: true as const };
      process.exitCode = await runExport(String(argv['data-dir']), what, output);
    },
  };
}
