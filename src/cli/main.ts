// relayd's command line. The only module that calls process.exit. A `relayd start` whose flags
// node:util's parseArgs takes whole runs without loading yargs (shared-options.ts says why); every
// other command line goes through yargs (command-line.ts).
import { ConfigError } from '../config/index.js';
import { runStartCommand } from './commands/start.js';
import { parseDaemonFlags } from './shared-options.js';

function fail(message: string): never {
  process.stderr.write(`relayd: ${message} (see relayd --help)\n`);
  process.exit(2);
}

try {
  const args = process.argv.slice(2);
  const startFlags = args[0] === 'start' ? parseDaemonFlags(args.slice(1)) : null;
  if (startFlags !== null) {
    await runStartCommand(startFlags);
  } else {
    const { runCommandLine } = await import('./command-line.js');
    await runCommandLine(args, fail);
  }
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  process.stderr.write(`relayd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
if (process.exitCode !== undefined && process.exitCode !== 0) process.exit(process.exitCode);
