// Graceful shutdown of the real daemon (a child process): SIGTERM stops taking data (503 with
// Retry-After), lets requests in flight finish, keeps forwarding for up to --shutdown-grace, then
// exits 0 with whatever is left on disk for the next start. A second signal exits at once, and still
// nothing acknowledged is lost.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, RELAYD_BIN, type ChildRelayd, type Options } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { Stage } from './stage.js';

function stoppedLine(stdout: string): { backlogItems: number } {
  const line = stdout.split('\n').find((text) => text.includes('relayd stopped'));
  assert.ok(line, 'the stop is logged');
  return JSON.parse(line) as { backlogItems: number };
}

describe('graceful shutdown', () => {
  let stage: Stage;
  before(async () => {
    stage = await Stage.open('relayd-shutdown-');
  });
  after(() => stage.close());

  /** relayd with a run and `pushes` acknowledged pushes it could not deliver yet (the cloud answers 503). */
  async function withBacklog(options: Options, pushes: number): Promise<{ relayd: ChildRelayd; runner: ScriptedRunner }> {
    const relayd = await stage.spawn(options);
    const runner = new ScriptedRunner(relayd.url);
    assert.equal((await runner.create()).status, 200);
    stage.emulator.setFault({ kind: 'status', status: 503, only: 'push' });
    for (let n = 0; n < pushes; n++) assert.equal((await runner.push()).status, 200);
    return { relayd, runner };
  }

  /** Starts relayd again on the same data dir with the cloud back, and settles: nothing may be lost. */
  async function restartAndSettle(scenario: string, options: Options, runner: ScriptedRunner): Promise<void> {
    stage.emulator.setFault(null);
    const next = await stage.spawn(options);
    const { line } = await stage.finishAndSettle(scenario, next, options['data-dir']!, [{ runner, protocol: 'v2' }]);
    assert.equal(line.lost, 0);
  }

  it('on SIGTERM refuses new data with 503, forwards the backlog within the grace and exits 0', async () => {
    const { relayd, runner } = await withBacklog(stage.options('drain', { 'shutdown-grace': '20s' }), 80);
    stage.emulator.setFault({ kind: 'slow', delayMs: 20, only: 'push' });
    relayd.child.kill('SIGTERM');

    let refusal: { status: number; retryAfter: unknown; body: string } | undefined;
    while (refusal === undefined) {
      const response = await runner.push();
      if (response.status !== 200) refusal = { status: response.status, retryAfter: response.headers['retry-after'], body: response.body.toString() };
    }
    assert.equal(refusal.status, 503);
    assert.equal(refusal.retryAfter, '5');
    assert.match(refusal.body, /RELAYD_SHUTTING_DOWN/);
    const readiness = await fetch(`${relayd.url}/readyz`);
    assert.equal(readiness.status, 503, 'not ready while stopping');
    assert.match(await readiness.text(), /shutting down/);

    assert.equal(await relayd.exited, 0);
    const run = stage.emulator.runs.get(runner.runId)!;
    const delivered = new Set(run.pushes.map((push) => push.idempotencyKey));
    assert.deepEqual(runner.acked.filter((key) => !delivered.has(key)), [], 'the backlog was delivered before the exit');
    assert.equal(stoppedLine(relayd.stdout()).backlogItems, 0);
    stage.emulator.setFault(null);
  });

  it('exits 0 after the grace with the cloud down, and the next start delivers what it left on disk', async () => {
    const options = stage.options('grace', { 'shutdown-grace': '1s' });
    const { relayd, runner } = await withBacklog(options, 40);
    relayd.child.kill('SIGTERM');
    assert.equal(await relayd.exited, 0);
    assert.match(relayd.stdout(), /forwarding the backlog until it is empty or the shutdown grace is over/);
    assert.equal(stoppedLine(relayd.stdout()).backlogItems, 40, 'the whole backlog stayed on disk');
    const check = spawnSync(process.execPath, [RELAYD_BIN, 'check', '--data-dir', options['data-dir']!, '--json'], { encoding: 'utf8' });
    assert.equal((JSON.parse(check.stdout) as { pending: { items: number } }).pending.items, 40);
    await restartAndSettle('graceful shutdown, cloud down', options, runner);
  });

  it('exits at once on a second signal, long before the grace, and loses nothing acknowledged', async () => {
    const options = stage.options('second-signal', { 'shutdown-grace': '60s' });
    const { relayd, runner } = await withBacklog(options, 40);
    relayd.child.kill('SIGTERM');
    await eventually(() => relayd.stdout().includes('forwarding the backlog until'), 10_000, 'the graceful stop to begin');
    relayd.child.kill('SIGINT');
    const exit = await Promise.race([relayd.exited, sleep(10_000).then(() => 'still running')]);
    assert.equal(exit, 130, 'the second signal ends it at once');
    assert.match(relayd.stdout(), /second signal, exiting at once/);
    await restartAndSettle('second signal', options, runner);
  });
});
