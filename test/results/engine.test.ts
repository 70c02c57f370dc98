import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunResults, SummaryRow } from '../../src/results/index.js';
import { closeStack, feedCapture, openStack, removeDir, tempDir, type ResultsStack } from './stack.js';

function row(results: RunResults, metric: string): SummaryRow['values'] {
  const found = results.summary.find((r) => r.metric === metric);
  assert.ok(found, `summary has ${metric}`);
  return found.values;
}

describe('results of the k6 v0.48.0 captures', () => {
  let dir: string;
  let stack: ResultsStack;
  before(async () => {
    dir = await tempDir();
    stack = await openStack(dir);
  });
  after(async () => {
    await closeStack(stack).catch(() => undefined);
    await removeDir(dir);
  });

  it('v2: counts, checks and percentiles as k6 printed them', async () => {
    await feedCapture(stack, 'v2', 'v2run');
    await stack.engine.tick();
    const results = stack.engine.get('v2run');
    assert.ok(results);
    // k6_console.txt: http_reqs 481, checks ✓ 481 ✗ 0, http_req_failed 0.00% (0 of 481), p(95)=5.45ms
    assert.equal(results.totals.requests, 481);
    assert.equal(results.totals.failed, 0);
    assert.equal(results.totals.failureRate, 0);
    assert.deepEqual(row(results, 'checks'), { rate: 1, passes: 481, fails: 0 });
    assert.equal(results.bucketMs, 3000);
    assert.ok(results.totals.p95 !== null && Math.abs(results.totals.p95 - 5.45) / 5.45 < 0.02, `p95 ${results.totals.p95}`);
    assert.equal(results.buckets.reduce((sum, b) => sum + b.requests, 0), 481);
    assert.deepEqual(results.thresholds, [{ metric: 'http_req_duration', source: 'p(95)<500', passed: true }]);
  });

  it('v1: counts, checks and percentiles as k6 printed them', async () => {
    await feedCapture(stack, 'v1', 'v1run');
    const results = stack.engine.get('v1run');
    assert.ok(results);
    // k6_console.txt: http_reqs 480, checks ✓ 480 ✗ 0, p(95)=9.6ms, max=33.64ms, vus 5
    assert.equal(results.totals.requests, 480);
    assert.deepEqual(row(results, 'checks'), { rate: 1, passes: 480, fails: 0 });
    assert.equal(results.bucketMs, 1000);
    assert.ok(results.totals.p95 !== null && Math.abs(results.totals.p95 - 9.6) / 9.6 < 0.02, `p95 ${results.totals.p95}`);
    assert.ok(Math.abs((row(results, 'http_req_duration').max ?? 0) - 33.64) < 0.01); // k6 prints 2 decimals
    assert.equal(row(results, 'vus').value, 5);
    assert.equal(results.buckets.reduce((sum, b) => sum + b.requests, 0), 480);
  });

  it('v2-threshold-fail: the failed threshold from the finish', async () => {
    await feedCapture(stack, 'v2-threshold-fail', 'failrun');
    const results = stack.engine.get('failrun');
    assert.ok(results);
    assert.deepEqual(results.thresholds, [{ metric: 'http_req_duration', source: 'p(95)<0.001', passed: false }]);
    assert.equal(results.totals.requests, 100);
  });
});
