// `relayd login --token T`: saves relayd's own cloud token for this user (mode 0600), as `k6 cloud
// login` does for k6. relayd adds it to requests of runners that send no Authorization header.
import type { CommandModule } from 'yargs';

export function loginCommand(): CommandModule<object, Record<string, unknown>> {
  return {
    command: 'login',
    describe: 'Save the cloud token relayd uses for runners that send none ($XDG_CONFIG_HOME/relayd/token, mode 0600)',
    builder: (yargs) => yargs.option('token', { type: 'string', demandOption: true, describe: 'The k6 cloud API token' }),
    handler: async (argv) => {
      const { runLogin } = await import('./login-run.js');
      process.exitCode = await runLogin(String(argv.token));
    },
  };
}
