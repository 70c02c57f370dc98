// Conservation under crashes. relayd aggregates two runs at once while it is killed with SIGKILL
// several times, at random moments of ingest, processing and forwarding, and restarted on the same
// data dir:
//  - a k6 API v1 run, aggregated into v1 (AggregatedPoints plus outliers); the runner retries every
//    push with its idempotency key until acknowledged, as k6 does;
//  - a WebSocket stream, aggregated into v2 (counter sums, histogram counts); RelaydClient reconnects
//    through a TCP proxy that follows relayd to its new port, resumes and re-sends what was not
//    acknowledged.
// What reaches the cloud (each idempotency key counted once, as the cloud does) adds up to exactly
// the N requests and every other sample generated: nothing lost, nothing counted twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RelaydClient } from '../../src/client/index.js';
import { useChildStack } from '../helpers/child-stack.js';
import { addSamples, addV1Envelopes, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually } from '../helpers/relayd.js';
import { streamBatches } from '../helpers/stream-traffic.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { AGGREGATING_OPTIONS, generateV1Pushes, RetryingV1Runner } from '../helpers/v1-traffic.js';

const REQUESTS = 4000;
const KILLS = 4;

describe('SIGKILL while relayd aggregates', () => {
  const stack = useChildStack(AGGREGATING_OPTIONS);

  it(`delivers totals equal to what was sent, v1 and v2, across ${KILLS} kills`, async () => {
    const startUs = (Date.now() - 600_000) * 1000;
    const pushes = generateV1Pushes({ requests: REQUESTS, seconds: 40, startUs, seed: 11 });
    const batches = streamBatches(200, { requestsPerBatch: 20, startMs: startUs / 1000 });
    const proxy = new TcpProxy(stack.relayd.url);
    const proxyUrl = await proxy.listen();
    try {
      const runner = new RetryingV1Runner(() => stack.relayd.url);
      await runner.create();
      const client = await RelaydClient.create({ url: proxyUrl, maxInFlight: 4, reconnectDelayMs: { initial: 50, max: 500 }, maxReconnectAttempts: 200 }, { name: 'stream under kills' });
      // A slow cloud keeps requests in flight, so kills land mid-delivery too.
      stack.emulator.setFault({ kind: 'slow', delayMs: 30 });

      // Both runners send a share between kills; the kill lands while they are at it.
      const shares = KILLS + 1;
      for (let share = 0; share < shares; share++) {
        const part = <T>(all: readonly T[]): readonly T[] => all.slice(Math.floor((share * all.length) / shares), Math.floor(((share + 1) * all.length) / shares));
        const sending = Promise.all([
          (async () => {
            for (const push of part(pushes)) await runner.push(push);
          })(),
          (async () => {
            for (const batch of part(batches)) await client.send(batch);
          })(),
        ]);
        if (share < KILLS) {
          await sleep(150 + Math.floor(Math.random() * 400));
          proxy.retarget((await stack.restart()).url);
          proxy.cut();
        }
        await sending;
      }
      await runner.finish();
      await client.finish();
      stack.emulator.setFault(null);

      const v1 = stack.emulator.runs.get(runner.runId)!;
      const v2 = stack.emulator.runs.get(client.runId)!;
      await eventually(() => v1.finish !== undefined && v2.finish !== undefined, 60_000, 'both finishes after the kills');
      for (const run of [v1, v2]) assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt), 'the finish came after every push');

      const expectedV1 = addV1Envelopes(emptyTotals(), pushes.flat());
      assert.equal(expectedV1.counters.http_reqs, REQUESTS);
      assert.deepEqual(new Set(v1.pushes.map((push) => push.route?.kind)), new Set(['v1-push']));
      assertSameTotals(upstreamTotals(v1.pushes), expectedV1, 'v1 upstream totals (AggregatedPoints counts plus outliers)');

      assert.deepEqual(new Set(v2.pushes.map((push) => push.route?.kind)), new Set(['v2-push']));
      assertSameTotals(upstreamTotals(v2.pushes), addSamples(emptyTotals(), batches.flat()), 'v2 upstream totals (counter sums, histogram counts)');
      console.log(
        `# ${KILLS} kills: v1 ${REQUESTS} requests in ${v1.pushes.length} pushes (${v1.duplicates} re-sent, dropped by key); ` +
          `v2 ${batches.length} batches in ${v2.pushes.length} MetricSets (${v2.duplicates} re-sent); the client reconnected ${client.stats.reconnects} times`,
      );
    } finally {
      await proxy.close();
    }
  });
});
