// Digests: the v2 wire walk reads what protobufjs decodes; a v1 push's digest is the same made on a
// validation thread or on the event loop; k6-aggregated v1 data counts exactly where it can.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeSpans } from '../../src/aggregate/histogram.js';
import { PushValidator } from '../../src/ingest/push-validator.js';
import { decodeMetricSet, decodeV1Push, encodeMetricSet, snappyCompress, snappyUncompressBounded, type V1Envelope } from '../../src/protocol/index.js';
import { forEachV1Value } from '../../src/aggregate/v1-transcoder.js';
import { digestItem } from '../../src/results/item-digest.js';
import { digestV1, sinksAt, type PushDigest } from '../../src/results/digest.js';
import { digestMetricSet } from '../../src/results/v2-digest.js';
import { addValue, mergeSink, sinkOf } from '../../src/results/sinks.js';
import { v1Bodies, v2Bodies } from '../../bench/payloads.js';
import { loadFixture } from '../emulator/fixtures.js';
import { closeStack, feedCapture, openStack, pushItem, removeDir, tempDir } from './stack.js';

const TYPES = ['counter', 'gauge', 'rate', 'trend'] as const;

/** The digest of a MetricSet decoded into objects by protobufjs (the slow way the walk avoids). */
function digestOfDecoded(pb: Uint8Array): PushDigest {
  const set = decodeMetricSet(pb);
  const digest: PushDigest = { seconds: {}, periodSeconds: set.aggregationPeriod ?? 0 };
  for (const metric of set.metrics) {
    const type = TYPES[(metric.type ?? 0) - 1];
    assert.ok(type);
    for (const series of metric.timeSeries) {
      const values = series.counterSamples?.values ?? series.gaugeSamples?.values ?? series.rateSamples?.values ?? series.trendHdrSamples?.values ?? [];
      for (const value of values as Record<string, any>[]) {
        const sinks = sinksAt(digest, value.time?.seconds ?? 0);
        const sink = sinkOf(sinks, metric.name ?? '', type);
        if (type === 'counter') mergeSink(sink, { type, sum: value.value ?? 0 });
        else if (type === 'gauge') {
          const count = value.count ?? 0;
          mergeSink(sink, { type, last: value.last ?? 0, count, sum: (value.avg ?? 0) * count, min: value.min ?? 0, max: value.max ?? 0 });
        } else if (type === 'rate') mergeSink(sink, { type, nonzero: value.nonzeroCount ?? 0, total: value.totalCount ?? 0 });
        else {
          mergeSink(sink, {
            type,
            // toObject leaves out zero fields: a span at offset 0 has no offset.
            buckets: decodeSpans(value.counters ?? [], (value.spans ?? []).map((span: any) => ({ offset: span.offset ?? 0, length: span.length ?? 0 }))),
            extraLow: value.extraLowValuesCounter ?? 0,
            extraHigh: value.extraHighValuesCounter ?? 0,
            sum: value.sum ?? 0,
            count: value.count ?? 0,
            min: value.minValue ?? 0,
            max: value.maxValue ?? 0,
          });
        }
      }
    }
  }
  return digest;
}

describe('push digests', () => {
  it('v2: the wire walk gives what a full protobufjs decode gives, for every v2 capture', () => {
    let pushes = 0;
    for (const folder of ['v2', 'v2-sigint', 'v2-threshold-fail'] as const) {
      for (const request of loadFixture(folder).filter((r) => r.route.kind === 'v2-push')) {
        const pb = snappyUncompressBounded(request.body, 1 << 26);
        assert.deepEqual(digestMetricSet(pb), digestOfDecoded(pb), request.name);
        pushes++;
      }
    }
    assert.equal(pushes, 4);
  });

  it('v2: the same for 1000-series pushes, and for histogram buckets past the walk\'s dense range', () => {
    for (const push of v2Bodies('1234', 3)) {
      const pb = snappyUncompressBounded(push.body, 1 << 30);
      assert.deepEqual(digestMetricSet(pb), digestOfDecoded(pb));
    }
    // Buckets 4094..4097 straddle the walk's dense array (4096 entries); 9000 is far past it.
    const value = { time: { seconds: 1_767_225_600 }, counters: [1, 2, 3, 4, 5], spans: [{ offset: 4094, length: 4 }, { offset: 4902, length: 1 }], sum: 1, count: 15, minValue: 0.1, maxValue: 9, minResolution: 0.001 };
    const pb = encodeMetricSet({ testRunId: '1234', aggregationPeriod: 3, metrics: [{ name: 'http_req_duration', type: 4, timeSeries: [{ labels: [], trendHdrSamples: { values: [value] } }] }] } as never);
    const digest = digestMetricSet(pb);
    assert.deepEqual(digest, digestOfDecoded(pb));
    const sink = sinksAt(digest, 1_767_225_600).http_req_duration;
    assert.ok(sink?.type === 'trend');
    assert.deepEqual(sink.buckets, { 4094: 1, 4095: 2, 4096: 3, 4097: 4, 9000: 5 });
  });

  it('v1: the dense sums give what adding value by value gives, past the dense range and below zero too', async () => {
    const [push] = v1Bodies(1, 2000);
    const envelopes = (await decodeV1Push(push!.body, 'gzip', { maxDecompressedBytes: 1 << 26 })).envelopes;
    const time = envelopes[0]!.data.time;
    // 5e6 ms is bucket ~4200, past the 4096 dense ones; a negative duration counts as extra low.
    const extremes = [5e6, 9e9, -1].map((value) => ({ type: 'Point', metric: 'http_req_duration', data: { time, type: 'trend', tags: {}, value } }));
    const all = [...envelopes, ...extremes] as V1Envelope[];
    const byValue: PushDigest = { seconds: {} };
    for (const envelope of all) {
      const sinks = sinksAt(byValue, Math.floor(Number(envelope.data.time) / 1e6));
      forEachV1Value(envelope as never, (metric, type, value) => addValue(sinks, metric, type, value));
    }
    const digest = digestV1(all);
    assert.deepEqual(digest, byValue);
    const sink = sinksAt(digest, Math.floor(Number(time) / 1e6)).http_req_duration;
    assert.ok(sink?.type === 'trend' && sink.extraLow === 1 && Object.keys(sink.buckets).some((key) => Number(key) >= 4096));
  });

  describe('digests from validation', () => {
    let validator: PushValidator;
    before(() => {
      validator = new PushValidator(1);
    });
    after(() => validator.close());

    it('hands back the digest the event loop would make', async () => {
      for (const folder of ['v1', 'v1-aggr-override'] as const) {
        for (const request of loadFixture(folder).filter((r) => r.route.kind === 'v1-push')) {
          const limits = { maxDecompressedBytes: 1 << 26, maxTags: 64 };
          const push = { protocol: 'v1' as const, runId: '1234', body: request.body, contentEncoding: request.headers['content-encoding'], limits };
          const checked = await validator.check(push);
          assert.equal(typeof checked.digest, 'object', request.name);
          assert.deepEqual(checked.digest, digestItem(pushItem('v1', request.body, request.headers)), request.name);
        }
      }
    });

    it('v2: the digest of the MetricSet the event loop decompressed, made in the validation walk, as from the stored body', async () => {
      const onLoop = new PushValidator(0);
      for (const request of loadFixture('v2').filter((r) => r.route.kind === 'v2-push')) {
        const limits = { maxDecompressedBytes: 1 << 26, maxTags: 64 };
        const push = { protocol: 'v2' as const, runId: '1234', body: request.body, contentEncoding: 'snappy', limits };
        const expected = digestItem(pushItem('v2', request.body, request.headers));
        const threaded = await validator.check(push);
        assert.equal(typeof threaded.digest, 'object', 'made on the thread, with the checks');
        assert.deepEqual(threaded.digest, expected, request.name);
        assert.equal(threaded.body, request.body, 'the body to store is the one received, compressed');
        const { digest } = await onLoop.check(push);
        assert.deepEqual(digest, expected, `${request.name}: the same without threads`);
      }
    });
  });

  it('v2: a MetricSet whose histogram does not add up is accepted, without a digest', async () => {
    const capture = loadFixture('v2').find((r) => r.route.kind === 'v2-push')!;
    const metricSet = decodeMetricSet(snappyUncompressBounded(capture.body, 1 << 24));
    const trend = metricSet.metrics.flatMap((metric) => metric.timeSeries).find((series) => series.trendHdrSamples)!;
    const span = trend.trendHdrSamples!.values[0]!.spans![0]!;
    span.length = (span.length ?? 0) + 5; // covers five counts more than it lists
    const body = snappyCompress(encodeMetricSet(metricSet));
    const limits = { maxDecompressedBytes: 1 << 26, maxTags: 64 };
    assert.throws(() => digestMetricSet(snappyUncompressBounded(body, 1 << 26)), RangeError, 'read back from the store: the engine logs it and leaves it out');
    for (const threads of [0, 1]) {
      const validator = new PushValidator(threads);
      try {
        const { samples, digest } = await validator.check({ protocol: 'v2', runId: metricSet.testRunId ?? '', body, contentEncoding: 'snappy', limits });
        assert.ok(samples > 0, `threads ${threads}: accepted`);
        assert.equal(digest, undefined, `threads ${threads}: no digest`);
      } finally {
        await validator.close();
      }
    }
  });

  it('v1 aggregated by k6 (AggregatedPoints): counts, average and extremes as k6 printed them', async () => {
    const dir = await tempDir();
    const stack = await openStack(dir);
    try {
      await feedCapture(stack, 'v1-aggr-override', 'agg');
      const results = stack.engine.get('agg');
      assert.ok(results);
      // k6_console.txt: http_reqs 482, checks ✓ 482, http_req_duration avg=2.88ms min=619.54µs med=2.12ms max=27.9ms
      assert.equal(results.totals.requests, 482);
      const duration = results.summary.find((row) => row.metric === 'http_req_duration')?.values;
      assert.ok(duration);
      assert.ok(Math.abs((duration.avg ?? 0) - 2.88) < 0.005, `avg ${duration.avg}`);
      assert.ok(Math.abs((duration.min ?? 0) - 0.61954) < 1e-5, `min ${duration.min}`);
      assert.ok(Math.abs((duration.max ?? 0) - 27.9) < 0.005, `max ${duration.max}`);
      // Percentiles are approximate here: 421 of the 482 requests are known only by their aggregates' averages.
      assert.ok(Math.abs((duration.med ?? 0) - 2.12) / 2.12 < 0.1, `med ${duration.med}`);
    } finally {
      await closeStack(stack);
      await removeDir(dir);
    }
  });
});
