// The wire-level scan ingest uses for v2 pushes agrees with the full protobufjs decode: the same
// sample counts on real captures and the worked example, the same refusals with the same messages,
// and on mutated captures it never accepts a body the full decode refuses (what relayd acknowledges
// is always a MetricSet the cloud can decode).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRelaydError } from '../../src/errors.js';
import { decodeV2Push, encodeMetricSet, scanMetricSet, scanV2Push, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, FIXTURE_RUN_ID, loadFixture } from '../emulator/fixtures.js';
import { WORKED_EXAMPLE, workedExampleMetricSet } from '../fixtures/worked-example.js';
import { mutate, prng } from '../helpers/mutation.js';

const limits = { maxDecompressedBytes: 1 << 24 };
const captures = FIXTURE_FOLDERS.flatMap((folder) => loadFixture(folder)).filter((c) => c.route.kind === 'v2-push');
const pbs = captures.map((capture) => snappyUncompressBounded(capture.body, 1 << 24));

/** A length-delimited protobuf field (lengths here stay under 128). */
function field(number: number, payload: readonly number[]): number[] {
  return [(number << 3) | 2, payload.length, ...payload];
}

function bytes(text: string): number[] {
  return [...Buffer.from(text)];
}

function outcome(run: () => number): number | string {
  try {
    return run();
  } catch (err) {
    if (!isRelaydError(err)) throw err;
    return err.code;
  }
}

describe('scanV2Push', () => {
  it('counts the values of every real capture as the full decode does', async () => {
    assert.ok(captures.length >= 4);
    for (const capture of captures) {
      const scan = await scanV2Push(capture.body, 'snappy', FIXTURE_RUN_ID, limits);
      assert.equal(scan.samples, decodeV2Push(capture.body, 'snappy', FIXTURE_RUN_ID, limits).samples, capture.name);
      assert.ok(scan.mostLabels.count > 0);
    }
  });

  it('counts the §6.7 worked example and refuses another run, an unknown encoding and a foreign oneof', async () => {
    assert.equal(scanMetricSet(WORKED_EXAMPLE, '1234567').samples, 4);
    assert.throws(() => scanMetricSet(WORKED_EXAMPLE, '42'), { code: 'RELAYD_BAD_V2_PAYLOAD', message: /test_run_id is "1234567", expected "42"/ });
    await assert.rejects(scanV2Push(snappyCompress(WORKED_EXAMPLE), 'gzip', '1234567', limits), { code: 'RELAYD_UNSUPPORTED_ENCODING' });
    const wrong = workedExampleMetricSet('k6-v0.49');
    wrong.metrics[0]!.type = 2;
    assert.throws(() => scanMetricSet(encodeMetricSet(wrong), '1234567'), {
      code: 'RELAYD_BAD_V2_PAYLOAD',
      message: /metrics\[0\]\.time_series\[0\]: gauge metric carries counter_samples/,
    });
    const unnamed = workedExampleMetricSet('k6-v0.49');
    unnamed.metrics[1]!.timeSeries[0]!.labels[0]!.name = '';
    assert.throws(() => scanMetricSet(encodeMetricSet(unnamed), '1234567'), { message: /labels\[0\]: label has no name/ });
  });

  it('refuses histogram counts with a varint over 10 bytes or cut at the end of the field', () => {
    // A one-series trend whose TrendHdrValue.counts (field 2, packed) holds the given bytes.
    const withCounts = (counts: number[]): Uint8Array => {
      const value = field(2, counts);
      const series = [...field(1, [...field(1, bytes('a')), ...field(2, bytes('b'))]), ...field(5, field(1, value))];
      const metric = [...field(1, bytes('t')), 0x10, 4, ...field(3, series)];
      return Uint8Array.from([...field(1, bytes('1')), ...field(3, metric)]);
    };
    assert.equal(scanMetricSet(withCounts([1, 0x80, 0x01, 0xff, 0x7f]), '1').samples, 1);
    assert.equal(decodeV2Push(snappyCompress(withCounts([1, 0x80, 0x01, 0xff, 0x7f])), 'snappy', '1', limits).samples, 1);
    // The wire format allows at most 10 bytes (Go's protobuf, the cloud's, refuses more); protobufjs's
    // uint32 reader skips bytes 6–10 unread, so only the scan can see this one.
    const tooLong = withCounts([1, ...Array<number>(10).fill(0x80), 0x01]);
    assert.throws(() => scanMetricSet(tooLong, '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /varint longer than 10 bytes/ });
    const cut = withCounts([1, 0x80]);
    assert.throws(() => scanMetricSet(cut, '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /varint runs past the end/ });
    assert.throws(() => decodeV2Push(snappyCompress(cut), 'snappy', '1', limits), { code: 'RELAYD_BAD_PROTOBUF' });
  });

  it('never accepts a mutated body that the full decode refuses, and agrees on counts', () => {
    const random = prng(0x5ca7);
    let accepted = 0;
    let stricter = 0;
    for (let round = 0; round < 4000; round++) {
      const pb = mutate(pbs[round % pbs.length]!, random);
      const scan = outcome(() => scanMetricSet(pb, FIXTURE_RUN_ID).samples);
      const full = outcome(() => decodeV2Push(snappyCompress(pb), 'snappy', FIXTURE_RUN_ID, limits).samples);
      if (typeof scan === 'number') {
        accepted += 1;
        assert.equal(full, scan, `round ${round}: the scan accepted a body the full decode reads as ${full}`);
      } else if (typeof full === 'number') {
        // Stricter than protobufjs only on wire-level damage: a known field with a foreign wire type,
        // which protobufjs reads as something else, or two members of the samples oneof.
        stricter += 1;
      }
    }
    assert.ok(accepted > 100, `some mutations stay valid (${accepted})`);
    console.log(`# scan vs full decode over 4000 mutations: both accepted ${accepted}, only the scan refused ${stricter}`);
  });
});
