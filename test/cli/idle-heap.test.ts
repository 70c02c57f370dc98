// When ingest goes quiet, relayd gives the event loop's heap back once and keeps the young
// generation small until ingest is busy again; and the collection it uses really shrinks V8's heap.
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, it } from 'node:test';
import { type HeapActions, IdleHeap } from '../../src/cli/idle-heap.js';
import { reduceHeap, releaseYoungGeneration } from '../../src/cli/young-generation.js';

const MiB = 1024 ** 2;

/** Records what the watcher does; `young` is the young generation's size (a reduction takes it to 2 MiB). */
function recorder(): { calls: string[]; actions: HeapActions; heap: { young: number } } {
  const calls: string[] = [];
  const heap = { young: 32 * MiB };
  const actions: HeapActions = {
    reduce: () => {
      calls.push('reduce');
      heap.young = 2 * MiB;
    },
    hold: () => calls.push('hold'),
    release: () => calls.push('release'),
    youngBytes: () => heap.young,
  };
  return { calls, actions, heap };
}

describe('IdleHeap', () => {
  it('reduces the heap once ingest is quiet for 2 s, once per quiet spell', () => {
    let appended = 0;
    const { calls, actions } = recorder();
    const idle = new IdleHeap(() => appended, 0, actions);
    idle.check(1000);
    appended = 5;
    idle.check(1500);
    idle.check(3000);
    assert.deepEqual(calls, [], 'appends 1.5 s ago: still busy');
    idle.check(3500);
    assert.deepEqual(calls, ['reduce']);
    idle.check(4000);
    idle.check(60_000);
    assert.deepEqual(calls, ['reduce'], 'once per quiet spell');
    appended = 7;
    idle.check(61_000);
    idle.check(62_500);
    assert.deepEqual(calls, ['reduce'], 'busy again: nothing more until the next quiet spell');
    idle.check(63_000);
    assert.deepEqual(calls, ['reduce', 'reduce']);
  });

  it('holds the young generation once it grew back to 8 MiB while ingest is quiet, and releases it at the next append', () => {
    let appended = 0;
    const { calls, actions, heap } = recorder();
    const idle = new IdleHeap(() => appended, 0, actions);
    idle.check(2000);
    heap.young = 4 * MiB;
    idle.check(2100);
    assert.deepEqual(calls, ['reduce']);
    heap.young = 8 * MiB;
    idle.check(2200);
    idle.check(2300);
    assert.deepEqual(calls, ['reduce', 'hold', 'hold'], 'held again at every check: a thread starting undoes it');
    appended = 1;
    idle.check(2400);
    idle.check(2500);
    assert.deepEqual(calls, ['reduce', 'hold', 'hold', 'release']);
    idle.check(4400);
    assert.deepEqual(calls, ['reduce', 'hold', 'hold', 'release', 'reduce'], 'the next quiet spell');
  });

  it('also reduces the heap of a relayd that takes nothing from its start', () => {
    const { calls, actions } = recorder();
    const idle = new IdleHeap(() => 0, 10_000, actions);
    idle.check(11_000);
    idle.check(12_000);
    assert.deepEqual(calls, ['reduce']);
  });
});

describe('reduceHeap', () => {
  const newSpaceMiB = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size / 1024 ** 2;

  it("shrinks a young generation that grew back to V8's initial 1 MiB a semi-space", () => {
    releaseYoungGeneration();
    // Objects that survive scavenges make V8 grow the young generation, as ingest does.
    let kept: object[][] = [];
    for (let round = 0; round < 40 && newSpaceMiB() < 8; round++) {
      kept.push(Array.from({ length: 100_000 }, (_, i) => ({ i })));
      if (kept.length > 3) kept.shift();
    }
    assert.ok(newSpaceMiB() >= 8, `the young generation grew to ${newSpaceMiB()} MiB`);
    kept = [];
    reduceHeap();
    assert.ok(newSpaceMiB() <= 2, `after reduceHeap: ${newSpaceMiB()} MiB`);
  });
});
