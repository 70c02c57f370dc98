// The chunked walk over a v1 push (walkV1Json, used above 8 MiB of JSON) decides as the whole parse
// does: the same envelopes and counts for real k6 bodies however they are cut into chunks, the same
// codes (and for v1 and tag problems the same messages) for bodies relayd must refuse; and a large
// body goes through walkV1Push's chunked path with its digest made envelope by envelope.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRelaydError } from '../../src/errors.js';
import { validateV1Push } from '../../src/ingest/push-validation.js';
import { decodeV1Push, type V1Envelope } from '../../src/protocol/index.js';
import { MAX_ENVELOPE_BYTES, walkV1Json, walkV1Push } from '../../src/protocol/v1.js';
import { digestV1 } from '../../src/results/digest.js';
import { v1Body } from '../../bench/payloads.js';
import { loadFixture } from '../emulator/fixtures.js';

const MiB = 1024 * 1024;
const limits = { maxDecompressedBytes: 64 * MiB };
const v1Captures = [...loadFixture('v1'), ...loadFixture('v1-aggr-override')].filter((capture) => capture.route.kind === 'v1-push');

function chunksOf(json: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < json.length; offset += size) chunks.push(json.subarray(offset, offset + size));
  return chunks;
}

async function walked(json: Buffer, size: number): Promise<V1Envelope[]> {
  const envelopes: V1Envelope[] = [];
  const count = await walkV1Json(chunksOf(json, size), (envelope, index) => {
    assert.equal(index, envelopes.length);
    envelopes.push(envelope);
  });
  assert.equal(count, envelopes.length);
  return envelopes;
}

/** The refusal of `run`, as code and message. */
async function refusal(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (err) {
    assert.ok(isRelaydError(err), `a RelaydError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('not refused');
}

const point = (time: string, extra: Record<string, unknown> = {}) => ({ type: 'Point', metric: 'vus', data: { time, type: 'gauge', value: 1, ...extra } });

describe('walkV1Json: the chunked walk', () => {
  it('finds the envelopes of every real k6 capture, however the JSON is cut', async () => {
    assert.ok(v1Captures.length > 3);
    for (const capture of v1Captures) {
      const json = gunzipSync(capture.body);
      const whole = (await decodeV1Push(capture.body, 'gzip', limits)).envelopes;
      for (const size of [1, 7, 4096, 65536]) assert.deepEqual(await walked(json, size), whole, `${capture.name} in chunks of ${size}`);
    }
  });

  it('reads strings with escaped quotes, backslashes and brackets, non-ASCII text and nesting across chunks', async () => {
    const tags = { url: 'https://x/"quoted"\\', name: '\\\\', odd: '"]}[{,', unicode: 'é ✓ 😀', escaped: '\u0001\n' };
    const body = [point('1', { tags }), { ...point('2'), extra: [[1, [2]], { a: { b: [] } }] }, point('3')];
    const json = Buffer.from(` \n[ ${body.map((e) => JSON.stringify(e)).join(' ,\n')} ] \r\n`);
    for (const size of [1, 2, 3, 5, 64]) assert.deepEqual(await walked(json, size), body, `chunks of ${size}`);
    assert.deepEqual(await walked(Buffer.from('[]'), 1), []);
  });

  it('refuses what the whole parse refuses, with the same code; v1 problems with the same message', async () => {
    const cases: [string, string][] = [
      ['not JSON', 'hello'],
      ['an empty body', ''],
      ['a truncated array', '[{"type":"Point"'],
      ['a missing comma', `[${JSON.stringify(point('1'))} ${JSON.stringify(point('2'))}]`],
      ['a trailing comma', `[${JSON.stringify(point('1'))},]`],
      ['trailing garbage', `[${JSON.stringify(point('1'))}] x`],
      ['bad JSON inside an envelope', '[{"type":"Point","metric":tru}]'],
      ['an object, not an array', '{"type":"Point"}'],
      ['null', 'null'],
      ['a number envelope', '[12]'],
      ['a string envelope', '["abc"]'],
      ['a nested array envelope', '[[1]]'],
      ['an envelope without time', `[${JSON.stringify(point('1'))},{"type":"Point","metric":"vus","data":{"type":"gauge","value":1}}]`],
      ['an unknown type', '[{"type":"Dot","metric":"vus","data":{"time":"1","type":"gauge"}}]'],
    ];
    for (const [what, text] of cases) {
      const json = Buffer.from(text);
      const whole = await refusal(() => decodeV1Push(json, undefined, limits));
      for (const size of [1, 3, 1024]) {
        const chunked = await refusal(() => walked(json, size));
        assert.equal(chunked.code, whole.code, `${what} in chunks of ${size}: ${chunked.message} / ${whole.message}`);
        if (whole.code === 'RELAYD_BAD_V1_PAYLOAD' && !text.startsWith('{')) assert.equal(chunked.message, whole.message, what);
      }
    }
  });

  it('refuses invalid UTF-8 before anything else, as the whole parse does', async () => {
    const json = Buffer.concat([Buffer.from('[12,'), Buffer.from([0xc3, 0x28]), Buffer.from('"x"]')]);
    const whole = await refusal(() => decodeV1Push(json, undefined, limits));
    assert.deepEqual(await refusal(() => walked(json, 2)), whole);
    assert.match(whole.message, /invalid UTF-8/);
  });

  it('refuses an envelope longer than MAX_ENVELOPE_BYTES without holding more of it', async () => {
    const json = Buffer.from(`[${JSON.stringify(point('1'))},"${'x'.repeat(MAX_ENVELOPE_BYTES)}"]`);
    const { code, message } = await refusal(() => walked(json, 65536));
    assert.equal(code, 'RELAYD_BAD_V1_PAYLOAD');
    assert.match(message, /\[1\]: expected an envelope of at most 1048576 bytes/);
  });
});

describe('walkV1Push: bodies above 8 MiB of JSON, walked in chunks', () => {
  // ~100,000 entries, 33 MiB of JSON: k6's largest v1 push (bench/FOOTPRINT.md).
  const large = v1Body({ requests: 40_000, seed: 7, startMicros: Date.UTC(2026, 0, 1) * 1000 });

  it('takes k6 largest v1 push with its sample count and the digest of the whole parse', async () => {
    assert.ok(large.rawBytes > 16 * MiB);
    const push = { protocol: 'v1' as const, runId: '1', body: large.body, contentEncoding: 'gzip', limits: { ...limits, maxTags: 128 } };
    const { samples, digest } = await validateV1Push(push);
    assert.equal(samples, large.samples);
    assert.deepEqual(digest, digestV1((await decodeV1Push(large.body, 'gzip', limits)).envelopes));
  });

  it('refuses a large body with a bad envelope at its end, naming it, and one with too many tags', async () => {
    const envelopes = JSON.parse(gunzipSync(large.body).toString()) as unknown[];
    const last = envelopes.length;
    const bad = gzipSync(JSON.stringify([...envelopes, { type: 'Point', metric: '', data: { time: '1' } }]));
    assert.deepEqual(await refusal(() => walkV1Push(bad, 'gzip', limits, () => {})), {
      code: 'RELAYD_BAD_V1_PAYLOAD',
      message: (await refusal(() => decodeV1Push(bad, 'gzip', limits))).message,
    });
    const tags = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`t${i}`, 'v']));
    const tagged = gzipSync(JSON.stringify([...envelopes, point('1', { tags })]));
    const push = { protocol: 'v1' as const, runId: '1', body: tagged, contentEncoding: 'gzip', limits: { ...limits, maxTags: 128 } };
    const { code, message } = await refusal(() => validateV1Push(push));
    assert.equal(code, 'RELAYD_TOO_MANY_TAGS');
    assert.match(message, new RegExp(`\\[${last}\\]\\.data\\.tags has 200 tags, limit 128`));
  });

  it('still answers 413 to a bomb that is not JSON, and stops at the limit', async () => {
    const bomb = Buffer.concat(Array<Buffer>(96).fill(gzipSync(Buffer.alloc(MiB))));
    assert.equal((await refusal(() => walkV1Push(bomb, 'gzip', limits, () => {}))).code, 'RELAYD_DECOMPRESSED_TOO_LARGE');
    const string = gzipSync(`["${'x'.repeat(20 * MiB)}"]`);
    assert.equal((await refusal(() => walkV1Push(string, 'gzip', limits, () => {}))).code, 'RELAYD_BAD_V1_PAYLOAD');
  });

  it('refuses a large plain body of random bytes as invalid UTF-8, and one over the limit as too large', async () => {
    const random = randomBytes(12 * MiB);
    assert.deepEqual(await refusal(() => walkV1Push(random, undefined, limits, () => {})), { code: 'RELAYD_BAD_JSON', message: (await refusal(() => decodeV1Push(random, undefined, limits))).message });
    assert.equal((await refusal(() => walkV1Push(random, undefined, { maxDecompressedBytes: 10 * MiB }, () => {}))).code, 'RELAYD_BODY_TOO_LARGE');
  });

  it('refuses a gzip body whose trailer understates its size as the whole parse would', async () => {
    // A trailer declaring 1 byte sends it to the whole parse, which finds it larger than 8 MiB and walks it.
    const lying = Buffer.from(large.body);
    lying.writeUInt32LE(1, lying.length - 4);
    const walkedRefusal = await refusal(() => walkV1Push(lying, 'gzip', limits, () => {}));
    assert.equal(walkedRefusal.code, 'RELAYD_BAD_GZIP');
  });
});
