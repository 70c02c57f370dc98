// Torture: relayd (a real child process) killed with SIGKILL 20 times at random moments, while two
// runs push (API v1 and v2, two senders each; the kill comes 0-500 ms after this life of relayd took
// its first pushes) and while it only forwards to a slow cloud, and started again on the same data
// dir each time. Every push that got a 2xx reaches the cloud; a push is sent
// twice at most when it was in flight upstream at a kill.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PUSHES_IN_FLIGHT } from '../../src/forward/index.js';
import { eventually } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { newTally, pushUntil } from './load.js';
import { Stage } from './stage.js';

const KILLS = 20;

describe('torture: SIGKILL during ingest and forwarding', () => {
  let stage: Stage;
  before(async () => {
    stage = await Stage.open('relayd-torture-kill-');
  });
  after(() => stage.close());

  it(`loses no acknowledged sample across ${KILLS} kill -9 and restarts`, async () => {
    const { emulator } = stage;
    const options = stage.options('data');
    let relayd = await stage.spawn(options);
    const runners = [new ScriptedRunner(relayd.url, { protocol: 'v2' }), new ScriptedRunner(relayd.url, { protocol: 'v1' })];
    for (const runner of runners) assert.equal((await runner.create()).status, 200);
    const tally = newTally();

    for (let kill = 0; kill < KILLS; kill++) {
      // A slow cloud keeps a request of each run in flight, so kills land mid-delivery too.
      emulator.setFault({ kind: 'slow', delayMs: 10 + Math.floor(Math.random() * 60) });
      // Every fourth kill lands while relayd only forwards its backlog; the others during ingest.
      const ingesting = kill % 4 !== 3;
      const stop = new AbortController();
      const pushers = ingesting ? runners.map((runner) => pushUntil(runner, stop.signal, { concurrency: 2, tally })) : [];
      if (ingesting) {
        // This life of relayd takes data before the kill, however loaded the machine is.
        const ackedBefore = runners.map((runner) => runner.acked.length);
        await eventually(() => runners.every((runner, i) => runner.acked.length >= ackedBefore[i]! + 2), 20_000, 'pushes taken after the restart');
      }
      await sleep(Math.floor(Math.random() * 500));
      relayd.child.kill('SIGKILL');
      assert.equal(await relayd.exited, 'SIGKILL');
      stop.abort();
      await Promise.all(pushers);

      relayd = await stage.spawn(options);
      for (const runner of runners) runner.retarget(relayd.url);
    }
    emulator.setFault(null);
    assert.deepEqual([...tally.refused], [], 'relayd never refused a valid push');

    const { line, runs } = await stage.finishAndSettle(`sigkill x${KILLS}`, relayd, options['data-dir']!, [
      { runner: runners[0]!, protocol: 'v2' },
      { runner: runners[1]!, protocol: 'v1' },
    ]);
    assert.equal(line.lost, 0, 'no acknowledged push was lost');
    assert.ok(line.acknowledged >= 4 * (KILLS - KILLS / 4), `pushes were acknowledged in every life that took data (${line.acknowledged})`);
    assert.equal(line.deadLettered, 0);
    // Per run and crash: its pushes in flight, and as many delivered whose removal was not written yet.
    assert.ok(line.duplicated <= 2 * PUSHES_IN_FLIGHT * KILLS * runners.length, `duplicates (${line.duplicated}) only for the pushes in flight or awaiting their removal per run at a kill`);
    for (const run of runs) {
      const lastPush = Math.max(...run.pushes.map((push) => push.receivedAt));
      assert.ok(run.finish!.receivedAt >= lastPush, `run ${run.id}: the finish came after every push`);
    }
  });
});
