// When ingest goes quiet, relayd gives the event loop's heap back once and holds the young
// generation small until the next append; and the collection it uses really shrinks V8's heap.
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, it } from 'node:test';
import { IdleHeap } from '../../src/cli/idle-heap.js';
import { reduceHeap, releaseYoungGeneration } from '../../src/cli/young-generation.js';

function recorder(): { calls: string[]; actions: { hold(): void; release(): void; reduce(): void } } {
  const calls: string[] = [];
  return { calls, actions: { hold: () => calls.push('hold'), release: () => calls.push('release'), reduce: () => calls.push('reduce') } };
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
