// relayd's command line. The only module that calls process.exit.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadDefaults } from '../config/index.js';
import { checkCommand } from './commands/check.js';
import { configCommand } from './commands/config.js';
import { exportCommand } from './commands/export.js';
import { healthCommand } from './commands/health.js';
import { loginCommand } from './commands/login.js';
import { replayCommand } from './commands/replay.js';
import { replayDeadLettersCommand } from './commands/replay-dead-letters.js';
import { runsCommand } from './commands/runs.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';

function fail(message: string): never {
  process.stderr.write(`relayd: ${message} (see relayd --help)\n`);
  process.exit(2);
}

try {
  await yargs(hideBin(process.argv))
    .scriptName('relayd')
    .usage('relayd: a durable local relay for k6 cloud output.\n\nUsage: $0 <command> [options]')
    .command(startCommand(loadDefaults()))
    .command(statusCommand(loadDefaults()))
    .command(runsCommand(loadDefaults()))
    .command(healthCommand(loadDefaults()))
    .command(configCommand(loadDefaults()))
    .command(loginCommand())
    .command(checkCommand(loadDefaults()))
    .command(exportCommand(loadDefaults()))
    .command(replayDeadLettersCommand(loadDefaults()))
    .command(replayCommand(loadDefaults()))
    .demandCommand(1, 'name a command, e.g. relayd start')
    .strict()
    .fail((message, err) => fail(message ?? err?.message ?? 'invalid command line'))
    .epilogue(
      'Options come from the defaults (config/relayd.yaml), then --config FILE, then the environment ' +
        '(RELAYD_<OPTION>, e.g. RELAYD_RUN_TIMEOUT=5m; K6_CLOUD_TOKEN for the token), then flags. ' +
        'relayd config print shows where each value came from.',
    )
    .help()
    .version()
    .parseAsync();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  process.stderr.write(`relayd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
if (process.exitCode !== undefined && process.exitCode !== 0) process.exit(process.exitCode);
