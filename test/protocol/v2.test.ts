import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMetricSet,
  decodeV2Push,
  encodeMetricSet,
  snappyCompress,
} from '../../src/protocol/index.js';
import { WORKED_EXAMPLE, workedExampleMetricSet } from '../fixtures/worked-example.js';

const limits = { maxDecompressedBytes: 1024 * 1024 };

const WORKED_EXAMPLE_DECODED = workedExampleMetricSet('k6-v0.49');

/** The worked example with `edit` applied to a deep copy, snappy-compressed as a push body. */
function pushBody(edit: (metricSet: any) => void = () => {}): Buffer {
  const metricSet = structuredClone(WORKED_EXAMPLE_DECODED);
  edit(metricSet);
  return snappyCompress(encodeMetricSet(metricSet));
}

describe('decodeMetricSet and encodeMetricSet', () => {
  it('decode the §6.7 worked example to the documented values', () => {
    assert.equal(WORKED_EXAMPLE.length, 333);
    assert.deepEqual(decodeMetricSet(WORKED_EXAMPLE), WORKED_EXAMPLE_DECODED);
  });

  it('re-encode the worked example to the exact bytes k6 emitted', () => {
    assert.deepEqual(Buffer.from(encodeMetricSet(decodeMetricSet(WORKED_EXAMPLE))), WORKED_EXAMPLE);
  });

  it('round-trip a MetricSet carrying the optional trend counters', () => {
    const metricSet = structuredClone(WORKED_EXAMPLE_DECODED);
    Object.assign(metricSet.metrics[1]!.timeSeries[0]!.trendHdrSamples!.values[0]!, {
      extraLowValuesCounter: 2,
      extraHighValuesCounter: 1,
    });
    assert.deepEqual(decodeMetricSet(encodeMetricSet(metricSet)), metricSet);
  });

  it('reject bytes that are not a protobuf message with RELAYD_BAD_PROTOBUF', () => {
    assert.throws(() => decodeMetricSet(Buffer.from('this is not protobuf')), { code: 'RELAYD_BAD_PROTOBUF' });
    assert.throws(() => decodeMetricSet(WORKED_EXAMPLE.subarray(0, 100)), { code: 'RELAYD_BAD_PROTOBUF' });
  });

  it('reject a string whose length runs past the end of a Buffer, which protobufjs would clamp', () => {
    assert.throws(() => decodeMetricSet(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f, 0x01])), {
      code: 'RELAYD_BAD_PROTOBUF',
      message: /index out of range/,
    });
    assert.throws(() => decodeMetricSet(WORKED_EXAMPLE.subarray(0, 5)), { code: 'RELAYD_BAD_PROTOBUF' });
  });
});

describe('decodeV2Push', () => {
  it('decodes a snappy body and counts one sample per value', () => {
    const { metricSet, samples } = decodeV2Push(snappyCompress(WORKED_EXAMPLE), 'snappy', '1234567', limits);
    assert.deepEqual(metricSet, WORKED_EXAMPLE_DECODED);
    assert.equal(samples, 4);
  });

  it('counts every value of every series, several buckets per series included', () => {
    const body = pushBody((ms) => {
      ms.metrics[0].timeSeries[0].counterSamples.values.push({ time: { seconds: 1700000004 }, value: 1 });
      ms.metrics[3].timeSeries.push({ labels: [{ name: 'scenario', value: 'default' }], gaugeSamples: { values: [] } });
    });
    assert.equal(decodeV2Push(body, 'snappy', '1234567', limits).samples, 5);
  });

  it('rejects a body that is not snappy-encoded with RELAYD_UNSUPPORTED_ENCODING', () => {
    assert.throws(() => decodeV2Push(WORKED_EXAMPLE, undefined, '1234567', limits), { code: 'RELAYD_UNSUPPORTED_ENCODING' });
    assert.throws(() => decodeV2Push(WORKED_EXAMPLE, 'gzip', '1234567', limits), { code: 'RELAYD_UNSUPPORTED_ENCODING' });
  });

  it('rejects garbage snappy with RELAYD_BAD_SNAPPY and garbage protobuf with RELAYD_BAD_PROTOBUF', () => {
    assert.throws(() => decodeV2Push(Buffer.from('garbage garbage'), 'snappy', '1234567', limits), { code: 'RELAYD_BAD_SNAPPY' });
    assert.throws(() => decodeV2Push(snappyCompress(Buffer.from('garbage garbage')), 'snappy', '1234567', limits), {
      code: 'RELAYD_BAD_PROTOBUF',
    });
  });

  it('rejects a body whose declared size exceeds the limit with RELAYD_DECOMPRESSED_TOO_LARGE', () => {
    assert.throws(() => decodeV2Push(snappyCompress(WORKED_EXAMPLE), 'snappy', '1234567', { maxDecompressedBytes: 332 }), {
      code: 'RELAYD_DECOMPRESSED_TOO_LARGE',
    });
  });

  const invalid: [string, Buffer, RegExp][] = [
    ['a test_run_id other than the URL run id', pushBody((ms) => (ms.testRunId = '999')), /test_run_id is "999", expected "1234567"/],
    ['a missing test_run_id', pushBody((ms) => delete ms.testRunId), /test_run_id is "", expected "1234567"/],
    ['a metric without a name', pushBody((ms) => delete ms.metrics[2].name), /metrics\[2\]: metric has no name/],
    ['an unspecified metric type', pushBody((ms) => delete ms.metrics[0].type), /metrics\[0\] \(http_reqs\): metric type 0 is not 1\.\.4/],
    ['an unknown metric type', pushBody((ms) => (ms.metrics[3].type = 5)), /metrics\[3\] \(vus\): metric type 5 is not 1\.\.4/],
    [
      'a counter series carrying gauge samples',
      pushBody((ms) => {
        const series = ms.metrics[0].timeSeries[0];
        series.gaugeSamples = series.counterSamples;
        delete series.counterSamples;
      }),
      /metrics\[0\]\.time_series\[0\]: counter metric carries gauge_samples/,
    ],
    [
      'a series carrying two oneof members',
      pushBody((ms) => (ms.metrics[1].timeSeries[0].rateSamples = { values: [] })),
      /metrics\[1\]\.time_series\[0\]: trend metric carries rate_samples/,
    ],
    [
      'a series carrying no samples',
      pushBody((ms) => delete ms.metrics[2].timeSeries[0].rateSamples),
      /metrics\[2\]\.time_series\[0\]: rate metric carries no rate_samples/,
    ],
    [
      'a label without a name',
      pushBody((ms) => (ms.metrics[0].timeSeries[0].labels[1] = { value: '200' })),
      /metrics\[0\]\.time_series\[0\]\.labels\[1\]: label has no name/,
    ],
  ];
  for (const [what, body, message] of invalid) {
    it(`rejects ${what} with RELAYD_BAD_V2_PAYLOAD`, () => {
      assert.throws(() => decodeV2Push(body, 'snappy', '1234567', limits), { code: 'RELAYD_BAD_V2_PAYLOAD', message });
    });
  }
});
