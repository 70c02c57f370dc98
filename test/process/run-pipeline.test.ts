// The processing of one run, item by item, without the daemon around it: what goes to the outbox,
// what is kept in the state, how late samples are counted, and that a pipeline restored from its
// persisted state goes on exactly as the one that wrote it.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import type { V1Envelope, V1PointsEnvelope } from '../../src/aggregate/index.js';
import { decodeMetricSet, decodeV2Push, snappyUncompressBounded, type StreamSample } from '../../src/protocol/index.js';
import type { ProcessedBatch, QueueItem, StoredItem } from '../../src/queue/index.js';
import type { ProcessingPlan, RunRecord } from '../../src/runs/index.js';
import { RunPipeline } from '../../src/process/run-pipeline.js';
import { addMetricSet, addSamples, addV1Envelopes, assertSameTotals, emptyTotals, type MetricTotals } from '../helpers/metric-totals.js';
import { generateV1Pushes, v1PushBody } from '../helpers/v1-traffic.js';

const PLAN: ProcessingPlan = { output: 'v1', periodMs: 1000, waitPeriodMs: 1000, minSamples: 5, iqrRadius: 0.25, iqrCoefLower: 1.5, iqrCoefUpper: 1.3 };
const T0_US = 1_700_000_000_000_000;
const NOW_MS = T0_US / 1000 + 600_000;

function record(plan: ProcessingPlan): RunRecord {
  return {
    id: '4321',
    upstreamId: '4321',
    provisional: false,
    name: 'pipeline',
    state: 'running',
    outcome: null,
    runStatus: null,
    createdAt: 0,
    endedAt: null,
    authorization: 'Token secret',
    userAgent: 'k6cloud/0.47.0',
    lastError: null,
    processing: plan,
  };
}

let seq = 0;
function stored(item: QueueItem): StoredItem {
  return { ...item, runId: '4321', seq: ++seq, size: item.body.byteLength };
}

function v1Push(envelopes: readonly V1Envelope[], key = `k${seq}`): StoredItem {
  const headers = { 'content-encoding': 'gzip', 'k6-idempotency-key': key };
  return stored({ kind: 'push', protocol: 'v1', headers, body: v1PushBody(envelopes), receivedAt: 0, samples: envelopes.length });
}

function streamBatch(samples: readonly StreamSample[]): StoredItem {
  const body = Buffer.from(JSON.stringify({ type: 'batch', seq: seq + 1, samples }));
  return stored({ kind: 'push', protocol: 'stream', headers: {}, body, receivedAt: 0, samples: samples.length });
}

function finish(): StoredItem {
  return stored({ kind: 'finish', headers: {}, body: Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}'), receivedAt: 0, samples: 0 });
}

/** One request as k6 sends it, all seven durations included (§4.2). */
function request(timeUs: number, durationMs: number): V1PointsEnvelope {
  const values = {
    http_reqs: 1,
    http_req_duration: durationMs,
    http_req_blocked: 0,
    http_req_connecting: 0,
    http_req_tls_handshaking: 0,
    http_req_sending: 0,
    http_req_waiting: durationMs,
    http_req_receiving: 0,
    http_req_failed: 0,
  };
  return { type: 'Points', metric: 'http_req_li_all', data: { time: String(timeUs), type: 'counter', tags: { status: '200' }, values } };
}

function v1Envelopes(batch: ProcessedBatch): V1Envelope[] {
  return batch.outbox.filter((item) => item.kind === 'push').flatMap((item) => JSON.parse(gunzipSync(item.body).toString()) as V1Envelope[]);
}

function totalsOf(batches: readonly ProcessedBatch[]): MetricTotals {
  const totals = emptyTotals();
  for (const item of batches.flatMap((batch) => batch.outbox)) {
    if (item.kind !== 'push') continue;
    if (item.protocol === 'v2') addMetricSet(totals, decodeMetricSet(snappyUncompressBounded(item.body, 1 << 30)));
    else addV1Envelopes(totals, JSON.parse(gunzipSync(item.body).toString()) as V1Envelope[]);
  }
  return totals;
}

async function takeAll(pipeline: RunPipeline, items: readonly StoredItem[]): Promise<void> {
  for (const item of items) await pipeline.take(item, NOW_MS);
}

describe('the processing pipeline of one run', () => {
  it('aggregates a bucket once the event clock passes it, and keeps the rest in its state', async () => {
    const pipeline = new RunPipeline(record(PLAN), PLAN, 'relayd/test', undefined);
    const early = Array.from({ length: 10 }, (_, i) => request(T0_US + i * 1000, 10 + i));
    await takeAll(pipeline, [v1Push(early), v1Push([request(T0_US + 2_500_000, 12)])]);
    pipeline.flush(false);
    const batch = (await pipeline.takeBatch(NOW_MS))!;
    const out = v1Envelopes(batch);
    assert.deepEqual(out.map((e) => [e.type, e.type === 'AggregatedPoints' ? e.data.count : 1]), [['AggregatedPoints', 10]]);
    assert.equal(batch.consumed.length, 2, 'both inbox items are consumed');
    assert.ok(batch.state !== null && batch.state.byteLength > 0, 'the pending request is in the state');
  });

  it('sends a request for a bucket already aggregated on its own, as k6 sends an outlier, and counts it once', async () => {
    const pipeline = new RunPipeline(record(PLAN), PLAN, 'relayd/test', undefined);
    const bucket = Array.from({ length: 10 }, (_, i) => request(T0_US + i * 1000, 10 + i));
    await takeAll(pipeline, [v1Push(bucket), v1Push([request(T0_US + 3_000_000, 11)])]);
    pipeline.flush(false);
    const first = (await pipeline.takeBatch(NOW_MS))!;
    // As many as min samples: had they joined a bucket of their own, they would be aggregated.
    const late = Array.from({ length: PLAN.minSamples }, (_, i) => request(T0_US + 500_000 + i, 13 + i));
    await takeAll(pipeline, [v1Push(late), finish()]);
    const last = (await pipeline.takeBatch(NOW_MS))!;
    assert.equal(pipeline.lateSamples, late.length);
    const lateTimes = new Set(late.map((e) => e.data.time));
    assert.deepEqual(v1Envelopes(last).filter((e) => lateTimes.has(e.data.time)), late, 'the late requests go as they came');
    assert.equal(last.outbox.at(-1)!.kind, 'finish', 'the finish goes last');
    assert.equal(last.state, null, 'the state goes with the finish');
    assertSameTotals(totalsOf([first, last]), addV1Envelopes(emptyTotals(), [...bucket, request(T0_US + 3_000_000, 11), ...late]));
  });

  it('re-opens a v2 bucket for a late sample and sends it as another value of that bucket', async () => {
    const plan: ProcessingPlan = { ...PLAN, output: 'v2' };
    const pipeline = new RunPipeline(record(plan), plan, 'relayd/test', undefined);
    const sample = (timeMs: number, value: number): StreamSample => ({ metric: 'http_req_duration', type: 'trend', time: timeMs, tags: { status: '200' }, value });
    const t0 = T0_US / 1000;
    await takeAll(pipeline, [streamBatch([sample(t0, 10), sample(t0 + 10, 20), sample(t0 + 3000, 30)])]);
    pipeline.flush(false);
    const first = (await pipeline.takeBatch(NOW_MS))!;
    await takeAll(pipeline, [streamBatch([sample(t0 + 20, 40)])]);
    pipeline.flush(false);
    const second = (await pipeline.takeBatch(NOW_MS))!;
    assert.equal(pipeline.lateSamples, 1);
    const values = [first, second].map((batch) =>
      batch.outbox.flatMap((item) => decodeV2Push(item.body, 'snappy', '4321', { maxDecompressedBytes: 1 << 20 }).metricSet.metrics[0]!.timeSeries[0]!.trendHdrSamples!.values),
    );
    assert.deepEqual(values.map((v) => v.map((x) => [x.time?.seconds, x.count])), [[[t0 / 1000, 2]], [[t0 / 1000, 1]]], 'the same bucket, twice');
  });

  it('goes on from its persisted state exactly as the pipeline that wrote it, idempotency keys included', async () => {
    const pushes = generateV1Pushes({ requests: 400, seconds: 4, startUs: T0_US, seed: 3 }).map((envelopes, i) => v1Push(envelopes, `key-${i}`));
    const end = finish();
    const straight = new RunPipeline(record(PLAN), PLAN, 'relayd/test', undefined);
    await takeAll(straight, pushes.slice(0, 2));
    straight.flush(false);
    const firstPart = (await straight.takeBatch(NOW_MS))!;
    await takeAll(straight, [...pushes.slice(2), end]);
    const expected = (await straight.takeBatch(NOW_MS))!;

    const restored = new RunPipeline(record(PLAN), PLAN, 'relayd/test', firstPart.state!);
    await takeAll(restored, [...pushes.slice(2), end]);
    const got = (await restored.takeBatch(NOW_MS))!;
    assert.deepEqual(got.outbox.map((item) => item.headers['k6-idempotency-key']), expected.outbox.map((item) => item.headers['k6-idempotency-key']));
    assert.deepEqual(got.outbox.map((item) => item.body), expected.outbox.map((item) => item.body));
    const keys = [...firstPart.outbox, ...got.outbox].map((item) => item.headers['k6-idempotency-key']).filter((key) => key !== undefined);
    assert.equal(new Set(keys).size, keys.length, 'no key is used twice in the run');
  });

  it('keeps AggregatedPoints it cannot transcode to v2 as dead letters, and transcodes the rest', async () => {
    const plan: ProcessingPlan = { ...PLAN, output: 'v2' };
    const pipeline = new RunPipeline(record(plan), plan, 'relayd/test', undefined);
    const aggregated: V1Envelope = {
      type: 'AggregatedPoints',
      metric: 'http_req_li_all',
      data: { time: String(T0_US), type: 'aggregated_trend', count: 3, tags: {}, values: { http_req_duration: { min: 1, max: 3, avg: 2 } } as never },
    };
    const raw = request(T0_US, 7);
    await takeAll(pipeline, [v1Push([aggregated, raw]), finish()]);
    const batch = (await pipeline.takeBatch(NOW_MS))!;
    assert.equal(batch.deadLetters.length, 1);
    assert.match(batch.deadLetters[0]!.reason, /AggregatedPoints/);
    assert.deepEqual(JSON.parse(gunzipSync(batch.deadLetters[0]!.item.body).toString()), [aggregated]);
    assertSameTotals(totalsOf([batch]), addV1Envelopes(emptyTotals(), [raw]));
  });

  it('moves an inbox item it cannot read to the dead letters instead of stalling the run', async () => {
    const pipeline = new RunPipeline(record(PLAN), PLAN, 'relayd/test', undefined);
    const broken = stored({ kind: 'push', protocol: 'v1', headers: { 'content-encoding': 'gzip' }, body: Buffer.from('not gzip'), receivedAt: 0, samples: 1 });
    await takeAll(pipeline, [broken, finish()]);
    const batch = (await pipeline.takeBatch(NOW_MS))!;
    assert.deepEqual(batch.consumed.map((item) => item.seq), [broken.seq, broken.seq + 1]);
    assert.equal(batch.deadLetters.length, 1);
    assert.match(batch.deadLetters[0]!.reason, /processing failed/);
  });

  it('turns the samples of a v1 stream into requests, two requests of the same instant included', async () => {
    const pipeline = new RunPipeline(record({ ...PLAN, periodMs: 0 }), { ...PLAN, periodMs: 0 }, 'relayd/test', undefined);
    const t = T0_US / 1000;
    const samples: StreamSample[] = [];
    for (let i = 0; i < 2; i++) {
      for (const [metric, type, value] of [['http_reqs', 'counter', 1], ['http_req_duration', 'trend', 5 + i], ['http_req_failed', 'rate', 0]] as const) {
        samples.push({ metric, type, time: t, tags: { status: '200' }, value });
      }
    }
    samples.push({ metric: 'vus', type: 'gauge', time: t, tags: {}, value: 3 });
    await takeAll(pipeline, [streamBatch(samples), finish()]);
    const out = v1Envelopes((await pipeline.takeBatch(NOW_MS))!);
    assert.deepEqual(out.map((e) => `${e.type} ${e.metric}`).sort(), ['Point vus', 'Points http_req_li_all', 'Points http_req_li_all']);
    assertSameTotals(addV1Envelopes(emptyTotals(), out), addSamples(emptyTotals(), samples));
  });
});
