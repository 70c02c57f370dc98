// The registry's side of adopted runs, on a real store: one record however many first requests come
// at once, a local close at the run timeout (no finish queued) while relayd's own runs get their
// timeout finish, and both states surviving a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DurableQueue } from '../../src/queue/index.js';
import { RunRegistry, whyNotAdoptable } from '../../src/runs/index.js';
import { tempDir } from '../helpers/relayd.js';

describe('run registry: adopted runs', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    data = await tempDir();
  });
  after(async () => {
    await data.remove();
  });

  it('adopts once under concurrent first requests, closes at the timeout without a finish, and reopens', async () => {
    let now = 1_700_000_000_000;
    const options = { runTimeoutMs: 1000, onBacklog: () => undefined, now: () => now };
    let queue = await DurableQueue.open(data.path);
    let runs = await RunRegistry.load(queue, options);

    const adoptions = await Promise.all([runs.adopt('4242'), runs.adopt('4242'), runs.adopt('4242')]);
    assert.equal(adoptions.filter((a) => a.adoptedNow).length, 1, 'one adoption');
    assert.ok(adoptions.every((a) => a.run === adoptions[0]!.run), 'one run');
    const { record } = adoptions[0]!.run;
    assert.equal(record.adopted, true);
    assert.equal(record.upstreamId, '4242');
    assert.equal(record.authorization, null, 'no token kept for a run relayd never sends anything for on its own');
    const own = await runs.createConfirmed('1234', { name: 'own', authorization: 'Token t', userAgent: 'k6cloud/1.3.0' });

    now += 1000;
    assert.deepEqual(await runs.sweepTimeouts(), { timedOut: ['1234'], closed: ['4242'] });
    assert.equal(record.state, 'closed');
    assert.equal(queue.backlog('4242').items, 0, 'no finish queued for the adopted run');
    assert.equal(queue.backlog('1234').items, 1, 'the timeout finish of relayd’s own run');
    assert.equal(own.record.state, 'finishing');

    await queue.close();
    queue = await DurableQueue.open(data.path);
    runs = await RunRegistry.load(queue, options);
    const reloaded = runs.get('4242')!;
    assert.equal(reloaded.record.state, 'closed');
    assert.equal(reloaded.record.adopted, true);
    assert.equal(runs.needsForwarding(reloaded), false, 'a closed run with nothing queued needs no worker');

    await runs.reopen(reloaded);
    assert.equal(reloaded.record.state, 'running');
    assert.equal(reloaded.record.endedAt, null);
    await queue.close();
    queue = await DurableQueue.open(data.path);
    runs = await RunRegistry.load(queue, options);
    assert.equal(runs.get('4242')!.record.state, 'running', 'the reopen was persisted');
    await queue.close();
  });

  it('adopts cloud ids only', () => {
    assert.equal(whyNotAdoptable('1234'), null);
    assert.equal(whyNotAdoptable('9223372036854775807'), null, 'the largest int64');
    assert.match(whyNotAdoptable('90000000000000001')!, /provisional/);
    assert.match(whyNotAdoptable('9223372036854775808')!, /not a possible cloud run id/);
    assert.match(whyNotAdoptable('0')!, /not a possible/);
    assert.match(whyNotAdoptable('run-1')!, /not a cloud run id/);
  });
});
