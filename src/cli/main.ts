// relayd's command line. The only module that calls process.exit.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadDefaults } from '../config/index.js';
import { startCommand } from './commands/start.js';

function fail(message: string): never {
  process.stderr.write(`relayd: ${message} (see relayd --help)\n`);
  process.exit(2);
}

try {
  await yargs(hideBin(process.argv))
    .scriptName('relayd')
    .usage('relayd: a durable local relay for k6 cloud output.\n\nUsage: $0 <command> [options]')
    .env('RELAYD')
    .command(startCommand(loadDefaults()))
    .demandCommand(1, 'name a command, e.g. relayd start')
    .strict()
    .fail((message, err) => fail(message ?? err?.message ?? 'invalid command line'))
    .epilogue('Every option can also be set as RELAYD_<OPTION> in the environment, e.g. RELAYD_RUN_TIMEOUT=5m.')
    .help()
    .version()
    .parseAsync();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  process.stderr.write(`relayd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
if (process.exitCode !== undefined && process.exitCode !== 0) process.exit(process.exitCode);
