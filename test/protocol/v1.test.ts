import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeV1Push } from '../../src/protocol/index.js';

const limits = { maxDecompressedBytes: 1024 * 1024 };

/** The §4.2 example body produced by the v0.49.0 encoder. */
const SPEC_EXAMPLE = [
  {
    type: 'Points',
    metric: 'http_req_li_all',
    data: {
      time: '1700000000123456',
      type: 'counter',
      tags: { method: 'GET', name: 'https://example.com/', status: '200', url: 'https://example.com/' },
      values: { http_reqs: 1, http_req_duration: 40.35, http_req_blocked: 1.5, http_req_failed: 0 },
    },
  },
  { type: 'Point', metric: 'vus', data: { time: '1700000000123456', type: 'gauge', tags: {}, value: 10 } },
  {
    type: 'AggregatedPoints',
    metric: 'http_req_li_all',
    data: {
      time: '1700000001500000',
      type: 'aggregated_trend',
      count: 2,
      tags: { method: 'GET' },
      values: { http_req_duration: { min: 40.35, max: 40.35, avg: 40.35 }, http_req_failed: { count: 2, nz_count: 0 } },
    },
  },
];

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** SPEC_EXAMPLE with one envelope replaced by the result of `edit` on a deep copy of it. */
function withEnvelope(index: number, edit: (envelope: any) => void): Buffer {
  const body = structuredClone(SPEC_EXAMPLE) as any[];
  edit(body[index]);
  return json(body);
}

describe('decodeV1Push', () => {
  it('decodes the §4.2 example, gzip-compressed or plain, counting one sample per envelope', async () => {
    for (const [body, encoding] of [
      [gzipSync(json(SPEC_EXAMPLE)), 'gzip'],
      [json(SPEC_EXAMPLE), undefined],
      [json(SPEC_EXAMPLE), 'identity'],
      [gzipSync(json(SPEC_EXAMPLE)), ' GZIP '],
    ] as const) {
      const { envelopes, samples } = await decodeV1Push(body, encoding, limits);
      assert.deepEqual(envelopes, SPEC_EXAMPLE);
      assert.equal(samples, 3);
    }
  });

  it('accepts a Points entry without tags, as k6 sends for HTTP trails with no tags', async () => {
    const body = withEnvelope(0, (envelope) => delete envelope.data.tags);
    assert.equal((await decodeV1Push(body, undefined, limits)).samples, 3);
  });

  it('rejects an encoding other than gzip or none with RELAYD_UNSUPPORTED_ENCODING', async () => {
    await assert.rejects(decodeV1Push(json(SPEC_EXAMPLE), 'br', limits), { code: 'RELAYD_UNSUPPORTED_ENCODING', message: /"br"/ });
    await assert.rejects(decodeV1Push(json(SPEC_EXAMPLE), 'snappy', limits), { code: 'RELAYD_UNSUPPORTED_ENCODING' });
  });

  it('rejects a plain body larger than the decompressed limit with RELAYD_BODY_TOO_LARGE', async () => {
    await assert.rejects(decodeV1Push(json(SPEC_EXAMPLE), undefined, { maxDecompressedBytes: 100 }), {
      code: 'RELAYD_BODY_TOO_LARGE',
    });
  });

  it('rejects a gzip body inflating past the limit with RELAYD_DECOMPRESSED_TOO_LARGE', async () => {
    await assert.rejects(decodeV1Push(gzipSync(json(SPEC_EXAMPLE)), 'gzip', { maxDecompressedBytes: 100 }), {
      code: 'RELAYD_DECOMPRESSED_TOO_LARGE',
    });
  });

  it('reads UTF-8 beyond ASCII exactly (the ASCII fast path does not apply to it)', async () => {
    const tags = { name: 'https://example.com/café/日本', check: 'ünïcödé ✓' };
    const body = json([{ type: 'Point', metric: 'checks', data: { time: '1700000000000000', type: 'rate', tags, value: 1 } }]);
    const { envelopes } = await decodeV1Push(body, undefined, limits);
    assert.deepEqual(envelopes[0]!.data.tags, tags);
  });

  it('rejects invalid JSON with RELAYD_BAD_JSON and the parser position', async () => {
    await assert.rejects(decodeV1Push(Buffer.from('[{"type":"Point",}]'), undefined, limits), {
      code: 'RELAYD_BAD_JSON',
      message: /^body is not valid JSON: .*position 17/,
    });
    await assert.rejects(decodeV1Push(Uint8Array.of(0x5b, 0xff, 0x5d), undefined, limits), {
      code: 'RELAYD_BAD_JSON',
      message: /invalid UTF-8/,
    });
  });

  const wrongShapes: [string, Buffer, RegExp][] = [
    ['a JSON object instead of an array', json({ type: 'Point' }), /expected a JSON array of samples, got an object/],
    ['an envelope that is not an object', json([1]), /\[0\]: expected an envelope object, got 1/],
    ['an unknown envelope type', withEnvelope(1, (e) => (e.type = 'Sample')), /\[1\]\.type: expected "Point"/],
    ['an empty metric name', withEnvelope(1, (e) => (e.metric = '')), /\[1\]\.metric: expected a non-empty string/],
    ['data that is not an object', withEnvelope(2, (e) => (e.data = [])), /\[2\]\.data: expected an object, got an array/],
    ['a numeric time', withEnvelope(1, (e) => (e.data.time = 1700000000123456)), /\[1\]\.data\.time: expected a string of decimal digits/],
    ['a time with a sign', withEnvelope(1, (e) => (e.data.time = '-1')), /\[1\]\.data\.time/],
    ['a non-string tag value', withEnvelope(1, (e) => (e.data.tags = { vu: 1 })), /\[1\]\.data\.tags\.vu: expected a string, got 1/],
    ['tags as an array', withEnvelope(1, (e) => (e.data.tags = ['a'])), /\[1\]\.data\.tags: expected an object of strings/],
    ['an unknown Point metric type', withEnvelope(1, (e) => (e.data.type = 'histogram')), /\[1\]\.data\.type: expected "counter", "gauge", "rate" or "trend"/],
    ['a Point without a value', withEnvelope(1, (e) => delete e.data.value), /\[1\]\.data\.value: expected a number, got nothing/],
    ['a Point with a string value', withEnvelope(1, (e) => (e.data.value = '10')), /\[1\]\.data\.value: expected a number, got "10"/],
    ['Points for an unknown metric', withEnvelope(0, (e) => (e.metric = 'vus')), /\[0\]\.metric: expected "http_req_li_all" or "iter_li_all"/],
    ['Points with a type other than counter', withEnvelope(0, (e) => (e.data.type = 'trend')), /\[0\]\.data\.type: expected "counter" for Points/],
    ['Points with a non-numeric value', withEnvelope(0, (e) => (e.data.values.http_reqs = null)), /\[0\]\.data\.values\.http_reqs: expected a number, got null/],
    ['Points with no values', withEnvelope(0, (e) => (e.data.values = {})), /\[0\]\.data\.values: expected at least one value/],
    ['AggregatedPoints with a zero count', withEnvelope(2, (e) => (e.data.count = 0)), /\[2\]\.data\.count: expected a positive integer, got 0/],
    ['AggregatedPoints with a wrong type', withEnvelope(2, (e) => (e.data.type = 'counter')), /\[2\]\.data\.type: expected "aggregated_trend"/],
    ['AggregatedPoints with a numeric aggregate', withEnvelope(2, (e) => (e.data.values.http_req_duration = 4)), /\[2\]\.data\.values\.http_req_duration: expected an object of numbers/],
    ['AggregatedPoints with a non-numeric min', withEnvelope(2, (e) => (e.data.values.http_req_duration.min = '1')), /\[2\]\.data\.values\.http_req_duration\.min: expected a number/],
  ];
  for (const [what, body, message] of wrongShapes) {
    it(`rejects ${what} with RELAYD_BAD_V1_PAYLOAD and the offending path`, async () => {
      await assert.rejects(decodeV1Push(body, undefined, limits), { code: 'RELAYD_BAD_V1_PAYLOAD', message });
    });
  }
});
