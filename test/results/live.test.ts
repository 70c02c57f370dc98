// What changes while a run goes on: the delivery series, listeners, buckets closing, retention.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunResults } from '../../src/results/index.js';
import { MAX_RUNS } from '../../src/results/engine.js';
import { MAX_POINTS } from '../../src/results/run-state.js';
import { closeStack, createRun, feedCapture, openStack, pushItem, removeDir, tempDir, type ResultsStack } from './stack.js';

const CREATE = Buffer.from(JSON.stringify({ name: 'live' }));

/** A stream batch body of `requests` requests at second `second`, each `ms` long. */
function batch(seq: number, second: number, requests: number, ms: number): Buffer {
  const samples = Array.from({ length: requests }, (_, i) => [
    { metric: 'http_reqs', type: 'counter', time: second * 1000 + i, tags: {}, value: 1 },
    { metric: 'http_req_duration', type: 'trend', time: second * 1000 + i, tags: {}, value: ms },
  ]).flat();
  return Buffer.from(JSON.stringify({ type: 'batch', seq, samples }));
}

describe('results while a run goes on', () => {
  let dir: string;
  let stack: ResultsStack;
  let clock = 0;
  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1);
    dir = await tempDir();
    stack = await openStack(dir, () => clock);
  });
  afterEach(async () => {
    await closeStack(stack).catch(() => undefined);
    await removeDir(dir);
  });

  it('samples acknowledged and delivered from the run ledger, once per bucket while they move', async () => {
    const run = await feedCapture(stack, 'v2', 'run');
    await stack.engine.tick();
    const acknowledged = run.ledger.persisted.samples;
    assert.ok(acknowledged > 0);
    assert.deepEqual(stack.engine.get('run')?.delivery, [{ t: clock, acknowledged, delivered: 0 }]);
    for (const item of await stack.queue.read('run', 0, 100)) {
      await stack.queue.remove(item);
      await stack.runs.delivered(run, item);
    }
    clock += 1000;
    await stack.engine.tick();
    assert.equal(stack.engine.get('run')?.delivery.length, 1, 'not before a bucket width (3 s) went by');
    clock += 2000;
    await stack.engine.tick();
    await stack.engine.tick();
    assert.deepEqual(stack.engine.get('run')?.delivery.at(-1), { t: clock, acknowledged, delivered: acknowledged });
    assert.equal(stack.engine.get('run')?.delivery.length, 2, 'nothing moved: no new point');
    const delivery = stack.engine.get('run')?.delivery;
    await closeStack(stack);
    stack = await openStack(dir, () => clock);
    assert.deepEqual(stack.engine.get('run')?.delivery, delivery);
  });

  it('listeners hear of a change at the next round, and no more once unsubscribed', async () => {
    const heard: RunResults[] = [];
    const unsubscribe = stack.engine.subscribe('run', (results) => heard.push(results));
    const run = await createRun(stack, 'run', CREATE);
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(1, 100, 5, 10), {}, clock), 1);
    assert.equal(heard.length, 0);
    await stack.engine.tick();
    assert.equal(heard.length, 1);
    assert.equal(heard[0]?.totals.requests, 5);
    await stack.engine.tick();
    assert.equal(heard.length, 1, 'nothing changed');
    unsubscribe();
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(2, 101, 5, 10), {}, clock), 2);
    await stack.engine.tick();
    assert.equal(heard.length, 1);
  });

  it('closes buckets 10 s of data behind; late values still count, without moving percentiles', async () => {
    const run = await createRun(stack, 'run', CREATE);
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(1, 100, 4, 10), {}, clock), 1);
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(2, 111, 1, 20), {}, clock), 2);
    let results = stack.engine.get('run');
    assert.deepEqual(results?.buckets.map((b) => [b.t, b.requests, b.duration?.p95]), [[100_000, 4, 10], [111_000, 1, 20]]);
    // Second 100 closed (its end, 101 s, is 10 s behind 111 s): a late slow request counts in it.
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(3, 100, 1, 500), {}, clock), 3);
    results = stack.engine.get('run');
    const late = results?.buckets[0];
    assert.equal(late?.requests, 5);
    assert.equal(late?.duration?.max, 500);
    assert.equal(late?.duration?.p95, 10, 'its percentiles stay');
    assert.equal(results?.totals.requests, 6);
    assert.equal(results?.totals.p95, 500, 'the whole run has it');
  });

  it(`keeps the last ${MAX_POINTS} buckets`, async () => {
    const run = await createRun(stack, 'run', CREATE);
    const seconds = MAX_POINTS + 20;
    const samples = Array.from({ length: seconds }, (_, s) => ({ metric: 'http_reqs', type: 'counter', time: (1000 + s) * 1000, tags: {}, value: 1 }));
    await stack.runs.acceptStreamBatch(run, pushItem('stream', Buffer.from(JSON.stringify({ type: 'batch', seq: 1, samples })), {}, clock), 1);
    const results = stack.engine.get('run');
    assert.equal(results?.buckets.length, MAX_POINTS);
    assert.equal(results?.buckets.at(-1)?.t, (1000 + seconds - 1) * 1000);
    assert.equal(results?.totals.requests, seconds, 'the totals keep every request');
    await closeStack(stack);
    stack = await openStack(dir, () => clock);
    assert.deepEqual(stack.engine.get('run'), results);
  });

  it('closes the open buckets of a run that went quiet for 30 s', async () => {
    const run = await createRun(stack, 'run', CREATE);
    await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(1, 100, 3, 10), {}, clock), 1);
    await stack.engine.tick();
    clock += 29_000;
    await stack.engine.tick();
    assert.deepEqual(Object.keys(await openCore(stack)), ['100000'], 'open 29 s after its data');
    clock += 1000;
    await stack.engine.tick();
    assert.deepEqual(await openCore(stack), {}, 'no open bucket is left');
    assert.equal(stack.engine.get('run')?.buckets[0]?.requests, 3, 'the closed point has them');
  });

  it(`keeps the results of the ${MAX_RUNS} most recent runs, dropping ended runs' first`, async () => {
    const runs = [];
    for (let i = 0; i <= MAX_RUNS; i++) {
      clock += 1;
      const run = await createRun(stack, `run${i}`, CREATE);
      await stack.runs.acceptStreamBatch(run, pushItem('stream', batch(1, 100, 1, 10), {}, clock), 1);
      runs.push(run);
    }
    // run0 is the oldest but still running: the oldest ended one goes instead.
    const finish = { kind: 'finish' as const, headers: {}, body: Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}'), receivedAt: 0, samples: 0 };
    for (const run of runs.slice(1, 3)) await stack.runs.acceptFinish(run, finish, 3);
    await stack.engine.tick();
    assert.ok(stack.engine.get('run0'), 'a running run keeps its results');
    assert.equal(stack.engine.get('run1'), undefined, 'the least recently changed ended run lost its results');
    assert.ok(stack.engine.get('run2'));
    await closeStack(stack);
    stack = await openStack(dir, () => clock);
    assert.equal(stack.engine.get('run1'), undefined, 'deleted from the store too');
    assert.ok(stack.engine.get(`run${MAX_RUNS}`));
  });
});

/** The stored core's open buckets, read back from the store. */
async function openCore(stack: ResultsStack): Promise<Record<string, unknown>> {
  for await (const [key, value] of stack.queue.results()) {
    if (key === 'x!run') return (JSON.parse(Buffer.from(value).toString('utf8')) as { open: Record<string, unknown> }).open;
  }
  return {};
}
