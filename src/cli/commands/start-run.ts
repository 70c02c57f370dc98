// The work of `relayd start`, loaded only when the command runs.
import { startDaemon, type Daemon } from '../../daemon.js';
import { createLogger, terminalDestination } from '../../observe/index.js';
import { configFromArgv } from '../effective-config.js';
import { IdleHeap } from '../idle-heap.js';
import { releaseYoungGeneration } from '../young-generation.js';

export async function runStart(argv: Record<string, unknown>): Promise<number> {
  const config = configFromArgv(argv);
  // JSON lines for journald, docker logs and log shippers; readable lines for a person at a terminal.
  const logger = createLogger(config.logLevel, process.stdout.isTTY ? await terminalDestination() : undefined);
  // Node prints its warnings as bare text on stderr, amid the log lines: they go to the log instead.
  // An experimental API relayd uses on purpose (v8.queryObjects, idle-heap.ts) is no news to an operator.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    logger[warning.name === 'ExperimentalWarning' ? 'debug' : 'warn']({ warning: warning.name, detail: warning.message }, 'Node.js warning');
  });
  // Signals are handled from before the start: one that comes while the store opens (counting or
  // repairing a big store takes a while) stops relayd cleanly once it is up, with exit status 0,
  // instead of Node's default of dying by the signal.
  return new Promise<number>((resolve, reject) => {
    let daemon: Daemon | null = null;
    let stopping = false;
    let unwatchHeap = (): void => undefined;
    const stop = (started: Daemon): void => {
      unwatchHeap();
      started.close({ graceMs: config.shutdownGraceMs }).then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: leave now. Everything acknowledged is already synced to disk, and what was
        // not acknowledged yet the runner still has.
        logger.warn({ signal }, 'second signal, exiting at once; the backlog stays on disk');
        resolve(130);
        return;
      }
      stopping = true;
      logger.info({ signal, shutdownGraceMs: config.shutdownGraceMs }, 'stopping: refusing new data, forwarding the backlog for up to the shutdown grace');
      if (daemon) stop(daemon);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    startDaemon(config, logger).then((started) => {
      daemon = started;
      releaseYoungGeneration();
      unwatchHeap = new IdleHeap(() => started.queue.appended, Date.now()).watch();
      if (stopping) stop(started);
    }, reject);
  });
}
