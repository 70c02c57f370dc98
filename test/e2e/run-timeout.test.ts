// A runner that vanishes (no data, no finish) for the run timeout: relayd times the run out and sends
// the finish with run_status 4 itself, after the run's data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

describe('run timeout', () => {

  const stack = useRelaydStack({ 'run-timeout': '2s' });

  it('finishes a silent run with run_status 4 after its data, and keeps the data', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    await runner.create();
    const started = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await runner.push()).status, 200);

    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 10_000, 'the timeout finish');
    assert.ok(Date.now() - started >= 2000, 'not before the run timeout');
    assert.equal(run.runStatus, 4);
    assert.equal(run.pushes.length, 3, 'the run keeps its data');
    assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt));
    assert.equal(run.finish!.headers.authorization, 'Token testtoken', 'sent with the runner’s token');

    // relayd ends the run once the cloud has answered the finish, a moment after the cloud saw it.
    const state = async () => ((await fetch(`${stack.relayd.url}/runs/${runner.runId}`).then((r) => r.json())) as { state: string }).state;
    await eventually(async () => (await state()) === 'timed_out', 5000, 'relayd to mark the run timed out');
    const late = await runner.push();
    assert.equal(late.status, 409, 'a timed-out run takes no more data');
    assert.match(late.body.toString(), /already ended/);
  });

  it('does not time out a run whose runner keeps sending', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    await runner.create();
    const until = Date.now() + 3500;
    while (Date.now() < until) {
      assert.equal((await runner.push()).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    assert.equal(stack.emulator.runs.get(runner.runId)!.finish, undefined);
    assert.equal((await runner.finish()).status, 200);
    await eventually(() => stack.emulator.runs.get(runner.runId)!.runStatus === 3, 5000, 'the runner’s own finish');
  });
});
