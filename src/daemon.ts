// Wiring: builds every part of relayd and starts and stops them in order.
//
// Start from the disk up: the queue (open the store, count the backlog), the runs (load their
// records), the forwarder (resume every run left with work), and ingest last, so that nothing is
// acknowledged before the parts that keep and send it exist.
// Stop in reverse: ingest first (no new data; open requests finish their synced writes), then the
// forwarder (cancel backoff waits and in-flight requests: undelivered items simply stay queued), then
// the run-timeout sweep, and the queue last, after its pending group commits.
import { mkdir } from 'node:fs/promises';
import type { Config } from './config/index.js';
import { CloudCreator, Forwarder, UpstreamClient } from './forward/index.js';
import { CloudApi, IngestServer, RunPage } from './ingest/index.js';
import type { Logger } from './observe/index.js';
import { DurableQueue } from './queue/index.js';
import { RunRegistry } from './runs/index.js';

export interface Daemon {
  /** Base URL runners use, e.g. http://127.0.0.1:6580. */
  readonly url: string;
  readonly runs: RunRegistry;
  readonly queue: DurableQueue;
  close(): Promise<void>;
}

export async function startDaemon(config: Config, logger: Logger): Promise<Daemon> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const queue = await DurableQueue.open(config.dataDir);
  let forwarder: Forwarder | null = null;
  const runs = await RunRegistry.load(queue, {
    runTimeoutMs: config.runTimeoutMs,
    onBacklog: (runId) => forwarder?.notify(runId),
  });
  const client = new UpstreamClient(config.upstream, {
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
  });
  forwarder = new Forwarder({ queue, runs, client, policy: config.retry, logger: logger.child({ component: 'forward' }) });
  forwarder.start();

  const stopping = new AbortController();
  const ingestLog = logger.child({ component: 'ingest' });
  const api = new CloudApi({
    runs,
    creator: new CloudCreator(client, config.createTimeoutMs),
    limits: config.limits,
    logger: ingestLog,
    signal: stopping.signal,
  });
  const server = new IngestServer({ api, runPage: new RunPage(runs, queue), logger: ingestLog });
  const address = await server.listen(config.listen.host, config.listen.port);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const sweepLog = logger.child({ component: 'runs' });
  const sweep = setInterval(() => {
    runs.sweepTimeouts().then(
      (expired) => expired.forEach((runId) => sweepLog.warn({ runId }, 'run timed out: no data nor finish for the run timeout')),
      (err: unknown) => sweepLog.error({ err }, 'run timeout sweep failed'),
    );
  }, Math.min(1000, Math.max(50, config.runTimeoutMs / 4)));

  const backlog = queue.totals();
  logger.info(
    { listen: url, upstream: config.upstream, dataDir: config.dataDir, backlogItems: backlog.items, backlogBytes: backlog.bytes },
    `relayd is ready; point k6 at it with K6_CLOUD_HOST=${url} k6 run --out cloud script.js`,
  );

  return {
    url,
    runs,
    queue,
    async close() {
      stopping.abort();
      await server.close();
      await forwarder.stop();
      clearInterval(sweep);
      await client.close();
      await queue.close();
      logger.info('relayd stopped');
    },
  };
}
