// Wiring: builds every part of relayd and starts and stops them in order.
//
// Start from the disk up: the queue (open the store, count the backlog), the runs (load their
// records), the forwarder (resume every run left with work), the processing stage (resume every
// aggregated run from its persisted state), and ingest last, so that nothing is acknowledged before
// the parts that keep and send it exist.
// Stop in reverse (close): the run-timeout sweep and ingest first (every data request gets 503 from
// now on; requests in flight finish their synced writes and answers), then, for up to the shutdown
// grace, the processing stage and the forwarder keep draining the backlog; then the listener, the
// processing stage (a step in flight commits first) and the forwarder stop (backoff
// waits and in-flight requests are cancelled: undelivered items simply stay queued for the next
// start), and the queue closes last, after its pending group commits.
import { mkdir, readFile } from 'node:fs/promises';
import { packageVersion, type Config } from './config/index.js';
import { CloudCreator, Forwarder, UpstreamClient } from './forward/index.js';
import {
  AdminApi,
  CloudApi,
  IngestServer,
  PushValidator,
  RunCreation,
  RunnerAuth,
  UpstreamAuthorization,
  WsStream,
  resolveValidationThreads,
} from './ingest/index.js';
import { Health, Metrics, type Logger } from './observe/index.js';
import { Processor, processingPlanFor } from './process/index.js';
import { DurableQueue, resolveQuota } from './queue/index.js';
import { ResultsEngine } from './results/index.js';
import { RunRegistry } from './runs/index.js';
import { WebPages } from './web/index.js';

export interface Daemon {
  /** Base URL runners use, e.g. http://127.0.0.1:6580. */
  readonly url: string;
  readonly runs: RunRegistry;
  readonly queue: DurableQueue;
  readonly health: Health;
  /** Stops as described at the top; `graceMs` bounds how long the backlog is still forwarded (default 0). */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Requests in flight get at least this long to finish their synced writes, whatever the grace. */
const IN_FLIGHT_GRACE_MS = 3000;

export async function startDaemon(config: Config, logger: Logger): Promise<Daemon> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const health = new Health();
  const metrics = new Metrics();
  let forwarder: Forwarder | null = null;
  let processor: Processor | null = null;
  const queue = await DurableQueue.open(config.dataDir, {
    maxDiskBytes: await resolveQuota(config.maxDisk, config.dataDir),
    logger: logger.child({ component: 'queue' }),
    conditions: health,
    // Workers that were reading when a write failed gave up; start them again on the reopened store.
    onReopened: () => forwarder?.start(),
  });
  const runs = await RunRegistry.load(queue, {
    runTimeoutMs: config.runTimeoutMs,
    // An aggregated run's inbox is the processing stage's; it wakes the forwarder for the outbox.
    onBacklog: (runId) => (runs.get(runId)?.record.processing === undefined ? forwarder : processor)?.notify(runId),
  });
  // Before anything removes inbox items: it digests those its persisted results lack, and guards removals.
  const results = await ResultsEngine.load({ queue, runs, logger: logger.child({ component: 'results' }) });
  runs.observe(results);
  results.start();
  const client = new UpstreamClient(config.upstream, {
    connections: config.upstreamConnections,
    timeoutMs: config.upstreamTimeoutMs,
    metrics,
    ...(config.upstreamCa === null ? {} : { extraCa: await readFile(config.upstreamCa, 'utf8') }),
  });
  forwarder = new Forwarder({ queue, runs, client, policy: config.retry, logger: logger.child({ component: 'forward' }), metrics });
  forwarder.start();
  processor = new Processor({
    queue,
    runs,
    timing: config.aggregation,
    userAgent: `relayd/${packageVersion()}`,
    logger: logger.child({ component: 'process' }),
    onOutbox: (runId) => forwarder?.notify(runId),
  });
  processor.start();

  const stopping = new AbortController();
  const ingestLog = logger.child({ component: 'ingest' });
  const auth = new RunnerAuth(config.runnerTokens);
  const authorization = new UpstreamAuthorization(config.token, (header) => auth.accepts(header));
  const creation = new RunCreation({
    runs,
    creator: new CloudCreator(client, config.createTimeoutMs),
    logger: ingestLog,
    planFor: (source) => processingPlanFor(config.aggregation, config.upstreamProtocol, source),
    signal: stopping.signal,
    bodyFiles: queue.bodyFiles,
  });
  const validator = new PushValidator(resolveValidationThreads(config.validationThreads));
  const api = new CloudApi({ runs, creation, limits: config.limits, validator, logger: ingestLog, authorization, metrics, bodyFiles: queue.bodyFiles });
  const stream = new WsStream({ runs, creation, auth, authorization, limits: config.limits, logger: logger.child({ component: 'stream' }), metrics });
  if (!auth.required && config.insecureAllowAnyRunner) {
    ingestLog.warn({ listen: config.listen.host }, 'no --accept-token: any client that can reach the port may send data (--insecure-allow-any-runner)');
  }
  metrics.watch({ queue, runs, validator, ready: () => health.isReady() });
  const admin = new AdminApi({
    runs,
    queue,
    health,
    metrics,
    upstream: { url: config.upstream, probe: (timeoutMs) => client.probe(timeoutMs) },
    version: packageVersion(),
    dataDir: config.dataDir,
    listenUrl: (): string => url,
  });
  const pages = new WebPages({ admin, results, auth, logger: logger.child({ component: 'web' }) });
  const server = new IngestServer({
    api,
    admin,
    pages,
    metrics,
    logger: ingestLog,
    health,
    auth,
    maxHeaderBytes: config.limits.maxHeaderBytes,
    upgrade: (req, socket, head) => stream.handleUpgrade(req, socket, head),
  });
  const address = await server.listen(config.listen.host, config.listen.port);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const sweepLog = logger.child({ component: 'runs' });
  const sweep = setInterval(() => {
    runs.sweepTimeouts().then(
      ({ timedOut, closed }) => {
        timedOut.forEach((runId) => sweepLog.warn({ runId }, 'run timed out: no data nor finish for the run timeout'));
        closed.forEach((runId) => sweepLog.info({ runId }, 'adopted run closed locally: no data nor finish for the run timeout; its creator finishes it, a new request opens it again'));
      },
      (err: unknown) => sweepLog.error({ err }, 'run timeout sweep failed'),
    );
  }, Math.min(1000, Math.max(50, config.runTimeoutMs / 4)));

  const backlog = queue.totals();
  logger.info(
    {
      listen: url,
      upstream: config.upstream,
      dataDir: config.dataDir,
      backlogItems: backlog.items,
      backlogBytes: backlog.bytes,
      maxDiskBytes: queue.quotaState()?.maxBytes,
      validationThreads: validator.threads,
    },
    `relayd is ready; point k6 at it with K6_CLOUD_HOST=${url} k6 run --out cloud script.js`,
  );

  return {
    url,
    runs,
    queue,
    health,
    async close({ graceMs = 0 } = {}) {
      const deadline = Date.now() + graceMs;
      clearInterval(sweep);
      stopping.abort();
      server.stopAccepting();
      stream.stopAccepting();
      health.setNotReady('shutdown', 'relayd is shutting down');
      await server.idle(AbortSignal.timeout(Math.max(graceMs, IN_FLIGHT_GRACE_MS)));
      const pending = queue.totals();
      if (pending.items > 0 && graceMs > 0) {
        logger.info({ backlogItems: pending.items, graceMs }, 'stopping: forwarding the backlog until it is empty or the shutdown grace is over');
        await queue.drained(AbortSignal.timeout(Math.max(0, deadline - Date.now())));
      }
      await stream.close(IN_FLIGHT_GRACE_MS);
      await server.close(0);
      await validator.close();
      await processor.stop();
      await forwarder.stop();
      await results.close();
      await client.close();
      await queue.close();
      const left = queue.totals();
      logger.info({ backlogItems: left.items, backlogBytes: left.bytes }, 'relayd stopped; what is left stays on disk for the next start');
    },
  };
}
