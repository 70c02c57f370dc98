import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMetricSet, encodeMetricSet, rewriteTestRunId, snappyUncompressBounded } from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, loadFixture } from '../emulator/fixtures.js';

const captures = FIXTURE_FOLDERS.flatMap((folder) =>
  loadFixture(folder)
    .filter((fixture) => fixture.route.kind === 'v2-push')
    .map((fixture) => ({ name: `${folder}/${fixture.name}`, pb: snappyUncompressBounded(fixture.body, 1 << 24) })),
);

/** Field 1 of a MetricSet is `0a <len> <id>`; the rest of the message follows it. */
function afterRunId(pb: Uint8Array): Buffer {
  assert.equal(pb[0], 0x0a);
  return Buffer.from(pb.subarray(2 + pb[1]!));
}

describe('rewriteTestRunId', () => {
  it('has real v2 captures to work on', () => assert.equal(captures.length, 4));

  for (const { name, pb } of captures) {
    it(`changes only test_run_id of ${name}, keeping every other byte`, () => {
      for (const id of ['98765432109876', '7', 'x'.repeat(200)]) {
        const rewritten = rewriteTestRunId(pb, id);
        assert.deepEqual(decodeMetricSet(rewritten), { ...decodeMetricSet(pb), testRunId: id });
        const rest = afterRunId(pb);
        assert.deepEqual(Buffer.from(rewritten.subarray(rewritten.length - rest.length)), rest);
      }
    });
  }

  it('adds test_run_id to a MetricSet that has none, and drops it for an empty id', () => {
    const withoutId = encodeMetricSet({ aggregationPeriod: 3, metrics: [] });
    assert.equal(decodeMetricSet(rewriteTestRunId(withoutId, '42')).testRunId, '42');
    const emptied = rewriteTestRunId(encodeMetricSet({ testRunId: '1234', aggregationPeriod: 3, metrics: [] }), '');
    assert.deepEqual(Buffer.from(emptied), Buffer.from(withoutId));
  });

  it('drops every occurrence of field 1, since protobuf keeps the last one', () => {
    const twice = Buffer.concat([encodeMetricSet({ testRunId: '1', metrics: [] }), encodeMetricSet({ testRunId: '2', metrics: [] })]);
    assert.deepEqual(Buffer.from(rewriteTestRunId(twice, '3')), Buffer.from(encodeMetricSet({ testRunId: '3', metrics: [] })));
  });

  it('rejects malformed messages with RELAYD_BAD_PROTOBUF', () => {
    const pb = captures[0]!.pb;
    assert.throws(() => rewriteTestRunId(pb.subarray(0, pb.length - 1), '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /past the end/ });
    assert.throws(() => rewriteTestRunId(Uint8Array.of(0x08, 0x80), '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /truncated varint/ });
    assert.throws(() => rewriteTestRunId(Uint8Array.of(0x08, 0x01), '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /wire type 0/ });
    assert.throws(() => rewriteTestRunId(Uint8Array.of(0x0b), '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /wire type 3/ });
    assert.throws(() => rewriteTestRunId(Uint8Array.of(0x02, 0x00), '1'), { code: 'RELAYD_BAD_PROTOBUF', message: /field number 0/ });
  });
});
