// The work of `relayd start`, loaded only when the command runs.
import { buildConfig, type RawOptions } from '../../config/index.js';
import { startDaemon } from '../../daemon.js';
import { createLogger } from '../../observe/index.js';

export async function runStart(argv: Record<string, unknown>): Promise<number> {
  const config = buildConfig(argv as RawOptions);
  const logger = createLogger(config.logLevel);
  const daemon = await startDaemon(config, logger);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: leave now. Everything acknowledged is already synced to disk.
        logger.warn({ signal }, 'second signal, exiting at once');
        resolve(130);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      daemon.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
