// --upstream-protocol v2: API v1 input (old k6 versions) goes to the cloud as v2 MetricSets,
// transcoded and aggregated by relayd, so old runners keep working against a v2-only cloud; API v2
// input still goes byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capturedV1Envelopes } from '../aggregate/builders.js';
import { loadFixture, replayFixture } from '../emulator/fixtures.js';
import { addV1Envelopes, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';

describe('--upstream-protocol v2', () => {
  const stack = useRelaydStack({ 'upstream-protocol': 'v2', 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms' });

  it('sends the real k6 v1 capture as v2 MetricSets whose totals equal the capture', async () => {
    const { runId } = await replayFixture(stack.relayd.url, 'v1', { framing: 'chunked' });
    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    assert.ok(run.pushes.length > 0);
    for (const push of run.pushes) {
      assert.equal(push.route?.kind, 'v2-push', 'every push is v2');
      assert.equal(push.status, 200, `the cloud took it (decoded with k6's schema): ${push.error ?? ''}`);
      assert.equal(push.headers['k6-metrics-protocol-version'], '2.0');
      assert.equal(push.headers.authorization, 'Token testtoken', "the runner's token goes with relayd's requests");
    }
    assertSameTotals(upstreamTotals(run.pushes), addV1Envelopes(emptyTotals(), capturedV1Envelopes('v1')), 'upstream totals');
    assert.equal(run.runStatus, 3);
  });

  it('keeps the AggregatedPoints of a k6 that aggregated itself as dead letters, and sends the rest', async () => {
    const before = stack.relayd.daemon.queue.totals().deadLetters;
    const { runId } = await replayFixture(stack.relayd.url, 'v1-aggr-override', { framing: 'chunked' });
    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    const envelopes = capturedV1Envelopes('v1-aggr-override');
    const aggregated = envelopes.filter((e) => e.type === 'AggregatedPoints');
    assert.ok(aggregated.length > 0, 'the capture has AggregatedPoints');
    assertSameTotals(upstreamTotals(run.pushes), addV1Envelopes(emptyTotals(), envelopes.filter((e) => e.type !== 'AggregatedPoints')));
    assert.ok(stack.relayd.daemon.queue.totals().deadLetters > before, 'the AggregatedPoints are kept as dead letters');
  });

  it('still sends an API v2 run byte for byte, with its idempotency keys', async () => {
    const captured = loadFixture('v2').filter((c) => c.route.kind === 'v2-push');
    const { runId } = await replayFixture(stack.relayd.url, 'v2', { framing: 'chunked' });
    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    // What the replay sent: the captured bodies, with this run's id inside (§6.2 test_run_id).
    const sent = captured.map((c) => snappyCompress(rewriteTestRunId(snappyUncompressBounded(c.body, 1 << 24), runId)));
    // A run's pushes may arrive in any order (several in flight): match them by idempotency key.
    const arrived = new Map(run.pushes.map((push) => [push.idempotencyKey, push.body]));
    assert.equal(run.pushes.length, captured.length);
    captured.forEach((capture, i) => assert.deepEqual(arrived.get(capture.headers['k6-idempotency-key']), sent[i], `push ${i}`));
  });
});
