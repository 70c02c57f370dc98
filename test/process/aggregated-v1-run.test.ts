// A k6 API v1 run that relayd aggregates itself (--aggregation-period > 0): k6 is told to send raw
// requests, relayd aggregates them into AggregatedPoints and outliers (§5), and what reaches the
// cloud adds up to exactly what k6 sent, with the finish after all of it.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import type { V1Envelope } from '../../src/aggregate/index.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { addV1Envelopes, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { AGGREGATING_OPTIONS, generateV1Pushes, RetryingV1Runner, v1PushBody } from '../helpers/v1-traffic.js';
import { send } from '../emulator/send.js';
import type { RecordedRequest } from '../emulator/emulator.js';

function envelopesOf(pushes: readonly RecordedRequest[]): V1Envelope[] {
  return pushes.flatMap((push) => JSON.parse(gunzipSync(push.body).toString('utf8')) as V1Envelope[]);
}

describe('a v1 run relayd aggregates', () => {
  const stack = useRelaydStack(AGGREGATING_OPTIONS);

  it('reaches the cloud as AggregatedPoints and outliers whose totals equal what k6 sent, finish last', async () => {
    const pushes = generateV1Pushes({ requests: 3000, seconds: 6, startUs: (Date.now() - 60_000) * 1000 });
    const runner = new RetryingV1Runner(() => stack.relayd.url);
    await runner.create();
    for (const push of pushes) await runner.push(push);
    await runner.finish();

    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(run.pushes), addV1Envelopes(emptyTotals(), pushes.flat()), 'upstream totals');

    const upstream = envelopesOf(run.pushes);
    const aggregated = upstream.filter((e) => e.type === 'AggregatedPoints');
    const individual = upstream.filter((e) => e.type === 'Points');
    assert.ok(aggregated.length >= 6, `requests were aggregated (${aggregated.length} AggregatedPoints)`);
    assert.ok(individual.length > 0 && individual.length < 3000 / 4, `outliers went individually (${individual.length})`);
    assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt), 'the finish came after every push');
    assert.equal(new Set(run.pushes.map((p) => p.idempotencyKey)).size, run.pushes.length, 'every push has its own key');
    assert.equal(run.duplicates, 0);
    await eventually(() => stack.relayd.daemon.queue.totals().items === 0, 5000, 'inbox and outbox to drain');
  });

  it('aggregates a push whose body waited in a body file, and deletes the file once it was taken', async () => {
    const [envelopes] = generateV1Pushes({ requests: 3000, seconds: 1, startUs: (Date.now() - 60_000) * 1000, seed: 3 });
    const body = Buffer.from(JSON.stringify(envelopes)); // K6_CLOUD_NO_COMPRESS: plain JSON
    assert.ok(body.length >= PUSH_BODY_FILE_BYTES, `${body.length} bytes: kept in a file`);
    const runner = new RetryingV1Runner(() => stack.relayd.url);
    await runner.create();
    const headers = { authorization: 'Token t', 'content-type': 'application/json', 'k6-idempotency-key': 'large-plain' };
    assert.equal((await send(`${stack.relayd.url}/v1/metrics/${runner.runId}`, { headers, body })).status, 200);
    await runner.finish();

    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(run.pushes), addV1Envelopes(emptyTotals(), envelopes!), 'upstream totals');
    await eventually(async () => (await readdir(join(stack.relayd.dataDir, 'bodies'))).length === 0, 5000, 'the body file deleted');
  });

  it('tells k6 in the create answer to send raw requests', async () => {
    for (const [userAgent, period] of [['k6cloud/0.44.0', 0], ['k6cloud/0.48.0', undefined]] as const) {
      const body = Buffer.from(JSON.stringify({ name: 'raw.js', vus: 1, thresholds: {}, duration: 10 }));
      const response = await send(`${stack.relayd.url}/v1/tests`, { headers: { 'content-type': 'application/json', 'user-agent': userAgent }, body });
      const { config } = JSON.parse(response.body.toString()) as { config: Record<string, unknown> };
      assert.equal(config.aggregationMinSamples, 2147483647, `${userAgent}: every v1 group is too small to aggregate`);
      assert.equal(config.aggregationPeriod, period, `${userAgent}: aggregation period`);
    }
  });

  it('counts a push that k6 retried with the same idempotency key once', async () => {
    const [push] = generateV1Pushes({ requests: 50, seconds: 1, startUs: (Date.now() - 60_000) * 1000, seed: 7 });
    const runner = new RetryingV1Runner(() => stack.relayd.url);
    await runner.create();
    const headers = { authorization: 'Token t', 'content-type': 'application/json', 'content-encoding': 'gzip', 'k6-idempotency-key': '00112233aabbccdd' };
    const body = v1PushBody(push!);
    for (let i = 0; i < 3; i++) assert.equal((await send(`${stack.relayd.url}/v1/metrics/${runner.runId}`, { headers, body })).status, 200);
    await runner.finish();
    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(run.pushes), addV1Envelopes(emptyTotals(), push!), 'upstream totals');
  });
});
