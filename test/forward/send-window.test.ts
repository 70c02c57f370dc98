// The send window keeps at most `size` sends in flight and settles outcomes in the order the sends
// were added, whatever order they finish in; a failure stops every later settle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendWindow } from '../../src/forward/send-window.js';

/** A send whose completion the test decides. */
function controlled<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SendWindow', () => {
  it('keeps at most size sends in flight', async () => {
    const window = new SendWindow(3);
    const sends = Array.from({ length: 7 }, () => controlled<number>());
    let started = 0;
    let inFlight = 0;
    let most = 0;
    const adding = (async () => {
      for (const [i, send] of sends.entries()) {
        await window.add(
          () => {
            started += 1;
            most = Math.max(most, ++inFlight);
            return send.promise.finally(() => inFlight--);
          },
          async () => assert.ok(i >= 0),
        );
      }
    })();
    await tick();
    assert.equal(started, 3, 'the fourth waits for a free place');
    for (const send of sends) {
      send.resolve(1);
      await tick();
    }
    await adding;
    await window.drain();
    assert.equal(started, 7);
    assert.equal(most, 3);
  });

  it('settles in the order of adding when the sends finish in reverse', async () => {
    const window = new SendWindow(4);
    const sends = Array.from({ length: 4 }, () => controlled<string>());
    const settled: string[] = [];
    for (const [i, send] of sends.entries()) {
      await window.add(
        () => send.promise,
        async (outcome) => {
          settled.push(`${i}:${outcome}`);
        },
      );
    }
    for (let i = sends.length - 1; i >= 0; i--) {
      sends[i]!.resolve(`done${i}`);
      await tick();
      if (i > 0) assert.deepEqual(settled, [], 'nothing settles before the first send');
    }
    await window.drain();
    assert.deepEqual(settled, ['0:done0', '1:done1', '2:done2', '3:done3']);
  });

  it('stops every settle after a failed send and throws the failure from drain', async () => {
    const window = new SendWindow(4);
    const settled: number[] = [];
    for (let i = 0; i < 3; i++) {
      await window.add(
        async () => {
          if (i === 1) throw new Error('send 1 failed');
          return i;
        },
        async () => {
          settled.push(i);
        },
      );
    }
    await assert.rejects(window.drain(), /send 1 failed/);
    assert.deepEqual(settled, [0], 'the send before the failure settles, none after it');
    await assert.rejects(window.add(async () => 3, async () => undefined), /send 1 failed/);
  });

  it('lets the next settle go ahead of a background write, and drain waits for that write', async () => {
    const window = new SendWindow(4);
    const write = controlled<void>();
    const settled: number[] = [];
    for (let i = 0; i < 2; i++) {
      await window.add(
        async () => i,
        async () => {
          settled.push(i);
          if (i === 0) window.background(write.promise);
        },
      );
    }
    await tick();
    assert.deepEqual(settled, [0, 1], 'the second settle did not wait for the write of the first');
    let drained = false;
    const draining = window.drain().then(() => (drained = true));
    await tick();
    assert.equal(drained, false, 'drain waits for the background write');
    write.resolve();
    await draining;
    assert.equal(drained, true);
  });

  it('fails the window when a background write fails', async () => {
    const window = new SendWindow(4);
    await window.add(
      async () => 0,
      async () => window.background(Promise.reject(new Error('the store refused the removal'))),
    );
    await assert.rejects(window.drain(), /the store refused the removal/);
    await assert.rejects(window.add(async () => 1, async () => undefined), /the store refused the removal/);
  });
});
