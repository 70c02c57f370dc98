// Adopted runs through crashes, with relayd a real child process:
//  - two runners (K6_CLOUD_PUSH_REF_ID) push into one run created elsewhere through an upstream
//    outage and a kill -9 of relayd; the creator's finish, sent through relayd, reaches the cloud
//    after every push; nothing acknowledged is lost, duplicates only for pushes in flight;
//  - relayd restarted on an empty data dir (a pod rescheduled without its volume) in the middle of a
//    run it created: the run is adopted, and k6's finish goes up after the rest of its data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PUSHES_IN_FLIGHT } from '../../src/forward/index.js';
import { send } from '../emulator/send.js';
import { useChildStack } from '../helpers/child-stack.js';
import { eventually, runView, type ChildRelayd } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const CREATOR_TOKEN = 'Token creator-secret-5d1e';
const RUNNER_TOKENS = ['Token runner-a-secret-8c2b', 'Token runner-b-secret-3f9a'];

describe('adopted runs through crashes', () => {
  const stack = useChildStack({ 'run-timeout': '60s' });
  const logs: string[] = [];

  async function killAndRestart(options: { wipe?: boolean } = {}): Promise<ChildRelayd> {
    logs.push(stack.relayd.stdout(), stack.relayd.stderr());
    return stack.restart(options);
  }

  it('delivers every push of two runners and then the creator’s finish, through an outage and a kill -9', { timeout: 180_000 }, async () => {
    const { emulator } = stack;
    const run = emulator.createRunElsewhere('created by CI');
    const runners = RUNNER_TOKENS.map((token) => new ScriptedRunner(stack.relayd.url, { runId: run.id, token }));
    let stopped = false;
    // Each runner pushes in a loop with k6's concurrency, as long as the test lets it, retrying a push
    // with its key while relayd is down (a 4xx would fail the test).
    const sender = async (runner: ScriptedRunner): Promise<void> => {
      while (!stopped) await runner.pushUntilTaken();
    };
    const acked = (): number => runners.reduce((sum, runner) => sum + runner.acked.length, 0);
    const senders = Promise.all(runners.flatMap((runner) => [sender(runner), sender(runner)]));
    try {
      await eventually(() => acked() >= 10, 20_000, 'pushes before the outage');
      emulator.setFault({ kind: 'slow', delayMs: 40 });
      await emulator.down();
      const ackedAtOutage = acked();
      await eventually(() => acked() >= ackedAtOutage + 10, 20_000, 'pushes taken while the cloud is down');

      const restarted = await killAndRestart();
      for (const runner of runners) runner.retarget(restarted.url);
      const ackedAtRestart = acked();
      await eventually(() => acked() >= ackedAtRestart + 10, 20_000, 'pushes after the restart');
      await emulator.up();
      await eventually(() => acked() >= ackedAtRestart + 20, 20_000, 'pushes with the cloud back');
    } finally {
      stopped = true;
      await senders;
      emulator.setFault(null);
    }

    // The creator saw its runners finish and ends the run, through relayd.
    const body = Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}');
    const answer = await send(`${stack.relayd.url}/v1/tests/${run.id}`, { headers: { authorization: CREATOR_TOKEN, 'content-type': 'application/json' }, body });
    assert.equal(answer.status, 200);
    await eventually(() => run.finish !== undefined, 30_000, 'the creator’s finish upstream');

    const allAcked = runners.flatMap((runner) => runner.acked);
    const delivered = run.pushes.map((push) => push.idempotencyKey);
    const missing = allAcked.filter((key) => !delivered.includes(key));
    assert.deepEqual(missing, [], 'every acknowledged push was delivered');
    assert.equal(new Set(delivered).size, new Set(allAcked).size, 'nothing but the pushes the runners sent');
    const duplicates = delivered.length - new Set(delivered).size;
    // One kill and one outage (the emulator drops its connections): each may repeat what was in flight.
    assert.ok(duplicates <= 2 * PUSHES_IN_FLIGHT, `duplicates (${duplicates}) only for pushes in flight at the kill or the outage`);
    assert.equal(run.samples, allAcked.length * run.pushes[0]!.samples, 'the cloud counts exactly the samples the runners sent');

    const finishAt = emulator.requests.indexOf(run.finish!);
    assert.ok(run.pushes.every((push) => emulator.requests.indexOf(push) < finishAt), 'the finish arrives after every push');
    assert.equal(run.finish!.headers.authorization, CREATOR_TOKEN, 'the finish goes with the creator’s Authorization');
    for (const [i, token] of RUNNER_TOKENS.entries()) {
      const keys = new Set(runners[i]!.acked);
      assert.ok(run.pushes.filter((push) => keys.has(push.idempotencyKey!)).every((push) => push.headers.authorization === token), `runner ${i}'s pushes keep its token`);
    }
    assert.equal(emulator.requests.filter((r) => r.route?.kind === 'create').length, 0, 'no create for an adopted run');
    await eventually(async () => (await runView(stack.relayd.url, run.id)).state === 'finished', 10_000, 'relayd ends the run');
    const view = await runView(stack.relayd.url, run.id);
    assert.equal(view.adopted, true);
    // A push persisted just before the kill, whose answer the kill cut off, is taken again on its retry.
    const inFlight = 2 * RUNNER_TOKENS.length; // pushes the senders may have had in flight at the kill
    assert.ok(view.persisted.requests >= allAcked.length && view.persisted.requests <= allAcked.length + inFlight, `persisted ${view.persisted.requests}`);
    console.log(`# two runners: acknowledged ${allAcked.length}, delivered ${new Set(delivered).size}, duplicated ${duplicates}, lost ${missing.length}`);

    logs.push(stack.relayd.stdout(), stack.relayd.stderr());
    const text = logs.join('');
    assert.ok(![CREATOR_TOKEN, ...RUNNER_TOKENS].some((token) => text.includes(token.split(' ')[1]!)), 'no token in the logs');
  });

  it('adopts the run when relayd comes back on an empty data dir, and forwards k6’s finish after its data', { timeout: 60_000 }, async () => {
    const { emulator } = stack;
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await runner.push()).status, 200);
    const run = emulator.runs.get(runner.runId)!;
    // Delivered before the volume goes: what relayd still held when it was lost is gone with it.
    await eventually(() => run.pushes.length === 3, 10_000, 'the first pushes upstream');
    assert.equal((await runView(stack.relayd.url, runner.runId)).adopted, false);

    runner.retarget((await killAndRestart({ wipe: true })).url);
    for (let i = 0; i < 3; i++) assert.equal((await runner.push()).status, 200, 'the pushes after the restart are taken');
    assert.equal((await runner.finish()).status, 200, 'so is k6’s finish');
    await eventually(() => run.finish !== undefined, 10_000, 'the finish upstream');

    assert.deepEqual(new Set(run.pushes.map((push) => push.idempotencyKey)), new Set(runner.acked));
    const finishAt = emulator.requests.indexOf(run.finish!);
    assert.ok(run.pushes.every((push) => emulator.requests.indexOf(push) < finishAt), 'the finish after every push');
    assert.equal(run.runStatus, 3);
    const view = await runView(stack.relayd.url, runner.runId);
    assert.equal(view.adopted, true, 'relayd knows it only from the runner’s requests now');
    assert.equal(view.persisted.requests, 3);
  });
});
