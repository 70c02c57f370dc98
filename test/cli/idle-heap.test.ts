// When ingest goes quiet, relayd gives the event loop's heap back once and holds the young
// generation small until the next append; and the collection it uses really shrinks V8's heap.
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, it } from 'node:test';
import { type HeapActions, IdleHeap } from '../../src/cli/idle-heap.js';
import { reduceHeap, releaseYoungGeneration } from '../../src/cli/young-generation.js';

const MiB = 1024 ** 2;

/** Records what the watcher does; `buffers` is what it reads as the ArrayBuffer bytes, a collection frees all but `live`. */
function recorder(): { calls: string[]; actions: HeapActions; heap: { buffers: number; live: number } } {
  const calls: string[] = [];
  const heap = { buffers: 0, live: 0 };
  const actions: HeapActions = {
    hold: () => calls.push('hold'),
    release: () => calls.push('release'),
    reduce: () => calls.push('reduce'),
    collect: () => {
      calls.push('collect');
      heap.buffers = heap.live;
    },
    arrayBuffers: () => heap.buffers,
  };
  return { calls, actions, heap };
}

describe('IdleHeap', () => {
  it('reduces and holds once ingest is quiet for 2 s, and releases at the next append', () => {
    let appended = 0;
    const { calls, actions } = recorder();
    const idle = new IdleHeap(() => appended, 0, actions);
    idle.check(1000);
    appended = 5;
    idle.check(1500);
    idle.check(3000);
    assert.deepEqual(calls, [], 'appends 1.5 s ago: still busy');
    idle.check(3500);
    assert.deepEqual(calls, ['hold', 'reduce']);
    idle.check(4000);
    idle.check(60_000);
    assert.deepEqual(calls, ['hold', 'reduce'], 'once per quiet spell');
    appended = 6;
    idle.check(60_500);
    assert.deepEqual(calls, ['hold', 'reduce', 'release']);
    appended = 7;
    idle.check(61_000);
    idle.check(62_500);
    assert.deepEqual(calls, ['hold', 'reduce', 'release'], 'busy again: nothing more until the next quiet spell');
    idle.check(63_000);
    assert.deepEqual(calls, ['hold', 'reduce', 'release', 'hold', 'reduce']);
  });

  it('while ingest stays quiet, collects every 32 MiB of new buffers, and not while it is busy', () => {
    let appended = 0;
    const { calls, actions, heap } = recorder();
    const idle = new IdleHeap(() => appended, 0, actions);
    heap.buffers = 100 * MiB;
    idle.check(1000);
    assert.deepEqual(calls, [], 'buffers of a busy ingest are its own business');
    idle.check(2000);
    assert.deepEqual(calls, ['hold', 'reduce']);
    heap.live = 10 * MiB;
    heap.buffers = 80 * MiB;
    idle.check(2100);
    heap.buffers = 111 * MiB;
    idle.check(2200);
    assert.deepEqual(calls, ['hold', 'reduce'], 'less than 32 MiB above the lowest seen (80)');
    heap.buffers = 113 * MiB;
    idle.check(2300);
    assert.deepEqual(calls, ['hold', 'reduce', 'collect']);
    heap.buffers = 41 * MiB;
    idle.check(2400);
    assert.deepEqual(calls, ['hold', 'reduce', 'collect'], '31 MiB above what the collection left');
    heap.buffers = 43 * MiB;
    idle.check(2500);
    assert.deepEqual(calls, ['hold', 'reduce', 'collect', 'collect']);
    appended = 1;
    heap.buffers = 500 * MiB;
    idle.check(2600);
    idle.check(2700);
    assert.deepEqual(calls, ['hold', 'reduce', 'collect', 'collect', 'release']);
  });

  it('also reduces the heap of a relayd that takes nothing from its start', () => {
    const { calls, actions } = recorder();
    const idle = new IdleHeap(() => 0, 10_000, actions);
    idle.check(11_000);
    idle.check(12_000);
    assert.deepEqual(calls, ['hold', 'reduce']);
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
