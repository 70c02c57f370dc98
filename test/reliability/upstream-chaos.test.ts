// Torture: the cloud misbehaves in every way relayd must sit out, one after the other, while two
// runs keep pushing: it flaps (down and up every 700 ms), answers storms of 503 and of 429 with
// Retry-After, answers slower than relayd's request timeout (the cloud still takes the request:
// relayd's retry is a duplicate), resets connections before reading them, and resets them after
// processing (a duplicate again). Every acknowledged push arrives; duplicates are counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from '../emulator/emulator.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { newTally, pushUntil } from './load.js';
import { Stage } from './stage.js';

const PHASE_MS = 2000;
const FAULTS: Fault[] = [
  { kind: 'status', status: 503, retryAfter: 1 },
  { kind: 'status', status: 429, retryAfter: 1 },
  { kind: 'slow', delayMs: 1500 },
  { kind: 'reset' },
  { kind: 'reset', afterProcessing: true },
];

describe('torture: a misbehaving cloud', () => {
  let stage: Stage;
  before(async () => {
    stage = await Stage.open('relayd-torture-chaos-');
  });
  after(() => stage.close());

  it('delivers every acknowledged push through flapping, storms, timeouts and resets', async () => {
    const { emulator } = stage;
    const options = stage.options('data', { 'upstream-timeout': '1s', 'retry-max-delay': '500ms' });
    const relayd = await stage.spawn(options);
    const runners = [new ScriptedRunner(relayd.url, { protocol: 'v2' }), new ScriptedRunner(relayd.url, { protocol: 'v1' })];
    for (const runner of runners) assert.equal((await runner.create()).status, 200);
    const stop = new AbortController();
    const tally = newTally();
    const pushers = runners.map((runner) => pushUntil(runner, stop.signal, { concurrency: 1, tally }));

    for (let flap = 0; flap < 4; flap++) {
      await emulator.down();
      await sleep(700);
      await emulator.up();
      await sleep(700);
    }
    for (const fault of FAULTS) {
      emulator.setFault({ ...fault, only: 'push' });
      await sleep(PHASE_MS);
    }
    emulator.setFault(null);
    stop.abort();
    await Promise.all(pushers);
    assert.deepEqual([...tally.refused], [], "relayd never refused a push: outages are its problem, not the runner's");

    const { line, runs } = await stage.finishAndSettle('upstream chaos', relayd, options['data-dir']!, [
      { runner: runners[0]!, protocol: 'v2' },
      { runner: runners[1]!, protocol: 'v1' },
    ]);
    assert.equal(line.lost, 0, 'no acknowledged push was lost');
    assert.equal(line.deadLettered, 0, 'retryable answers never dead-letter');
    assert.ok(line.acknowledged > 50, `pushes were acknowledged during the chaos (${line.acknowledged})`);
    const keys = runs.flatMap((run) => run.pushes.map((push) => push.idempotencyKey));
    assert.ok(keys.every((key) => key !== undefined), 'every upstream push carried an idempotency key, retries included');
  });
});
