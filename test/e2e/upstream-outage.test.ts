// The cloud goes away for 30 s in the middle of a run: relayd keeps accepting, keeps retrying, and
// once the cloud is back delivers every push, the finish last.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

describe('upstream outage in the middle of a run', () => {

  const stack = useRelaydStack({ 'retry-max-delay': '2s' });

  it('delivers every push after a 30 s outage, then the finish', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await runner.push()).status, 200);
    await eventually(() => stack.emulator.runs.get(runner.runId)?.pushes.length === 5, 5000, 'pushes before the outage');

    await stack.emulator.down();
    const outageEnds = Date.now() + 30_000;
    while (Date.now() < outageEnds) {
      assert.equal((await runner.push()).status, 200, 'relayd keeps accepting during the outage');
      await sleep(500);
    }
    const run = stack.emulator.runs.get(runner.runId)!;
    assert.equal(run.pushes.length, 5, 'nothing reached the cloud while it was down');
    const page = (await fetch(`${stack.relayd.url}/runs/${runner.runId}`).then((r) => r.json())) as { state: string; lastError: string };
    assert.equal(page.state, 'running', 'an outage does not end the run');
    assert.match(page.lastError, /ECONNREFUSED/);

    await stack.emulator.up();
    assert.equal((await runner.finish()).status, 200);
    await eventually(() => run.finish !== undefined, 15_000, 'the finish after the outage');

    const delivered = run.pushes.map((push) => push.idempotencyKey);
    assert.deepEqual([...new Set(delivered)].sort(), [...runner.acked].sort(), 'every acknowledged push delivered');
    assert.equal(delivered.length, runner.acked.length, 'each once');
    assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt), 'finish last');
    assert.equal(run.runStatus, 3);
  });
});
