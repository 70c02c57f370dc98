// relayd's commands parsed by yargs, with their help: every command line but a plain `relayd start`
// (main.ts).
import yargs from 'yargs';
import { loadDefaults } from '../config/index.js';
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

/** Runs the command `args` name; a usage error goes to `fail`. */
export async function runCommandLine(args: readonly string[], fail: (message: string) => never): Promise<void> {
  const defaults = loadDefaults();
  await yargs([...args])
    .scriptName('relayd')
    .usage('relayd: a durable local relay for k6 cloud output.\n\nUsage: $0 <command> [options]')
    .command(startCommand(defaults))
    .command(statusCommand(defaults))
    .command(runsCommand(defaults))
    .command(healthCommand(defaults))
    .command(configCommand(defaults))
    .command(loginCommand())
    .command(checkCommand(defaults))
    .command(exportCommand(defaults))
    .command(replayDeadLettersCommand(defaults))
    .command(replayCommand(defaults))
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
}
