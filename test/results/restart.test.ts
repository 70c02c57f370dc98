// The results survive a restart on a real LevelDB: written and read back, recomputed from the inbox
// when the process died before writing them, and written before an item they include leaves the inbox.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunResults } from '../../src/results/index.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { generateV1Pushes } from '../helpers/v1-traffic.js';
import { closeStack, createRun, feedCapture, openStack, pushItem, removeDir, tempDir, type ResultsStack } from './stack.js';

/** A process that dies without writing its results: the queue's own writes are on disk, nothing else. */
async function crash(stack: ResultsStack): Promise<void> {
  await stack.queue.close();
}

describe('results across restarts', () => {
  let dir: string;
  let stack: ResultsStack;
  beforeEach(async () => {
    dir = await tempDir();
    stack = await openStack(dir);
  });
  afterEach(async () => {
    await closeStack(stack).catch(() => undefined);
    await removeDir(dir);
  });

  async function reopen(): Promise<RunResults | undefined> {
    stack = await openStack(dir);
    return stack.engine.get('run');
  }

  it('a clean stop writes them; a start reads them back as they were', async () => {
    await feedCapture(stack, 'v2-threshold-fail', 'run');
    await stack.engine.tick();
    const before = stack.engine.get('run');
    assert.equal(before?.totals.requests, 100);
    await closeStack(stack);
    assert.deepEqual(await reopen(), before);
  });

  it('after a crash before any write, the start digests the acknowledged items again', async () => {
    await feedCapture(stack, 'v1', 'run');
    const before = stack.engine.get('run');
    assert.equal(before?.totals.requests, 480);
    await crash(stack);
    assert.deepEqual(await reopen(), before);
  });

  it('after a crash, items already in the written results are not counted twice', async () => {
    const run = await feedCapture(stack, 'v2', 'run');
    await stack.engine.tick();
    // One more push after the write, then the crash: the start adds only that one from the inbox.
    const [push] = await stack.queue.read('run', 0, 1);
    assert.ok(push);
    await stack.runs.acceptPush(run, { ...push, receivedAt: Date.now() });
    const before = stack.engine.get('run');
    await crash(stack);
    const after = await reopen();
    assert.deepEqual(after, before);
    assert.ok(after && after.totals.requests > 481, 'the extra push counts once');
  });

  it('after a crash, a push whose body waited in a file is digested again from the file', async () => {
    const run = await createRun(stack, 'run', Buffer.from('{"name":"large"}'));
    const [envelopes] = generateV1Pushes({ requests: 3000, seconds: 1, startUs: Date.UTC(2026, 0, 1) * 1000 });
    const body = Buffer.from(JSON.stringify(envelopes));
    assert.ok(body.length >= PUSH_BODY_FILE_BYTES);
    await stack.runs.acceptPush(run, pushItem('v1', body));
    const before = stack.engine.get('run');
    assert.equal(before?.totals.requests, 3000);
    await crash(stack);
    assert.deepEqual(await reopen(), before);
  });

  it("a confirmed run's thresholds are written at its create, before any round", async () => {
    await createRun(stack, 'run', Buffer.from(JSON.stringify({ name: 'x', thresholds: { http_reqs: ['count>10'] } })));
    await crash(stack);
    assert.deepEqual((await reopen())?.thresholds, [{ metric: 'http_reqs', source: 'count>10', passed: null }]);
  });

  it('an item leaves the inbox only once the results that include it are written', async () => {
    await feedCapture(stack, 'v1', 'run');
    const before = stack.engine.get('run');
    // The forwarder delivers every item: each removal must first write the results.
    for (const item of await stack.queue.read('run', 0, 100)) await stack.queue.remove(item);
    assert.equal(stack.queue.backlog('run').items, 0);
    await crash(stack);
    assert.deepEqual(await reopen(), before);
  });
});
