// A real relayd child process is killed with SIGKILL while v1 pushes arrive and the cloud takes
// them (slowly, so some are delivered and leave the inbox, some are in flight). The data dir is then
// opened the way a start opens it: the run's results count every acknowledged push exactly once
// (by its checks: the pushed body, the v1 capture's first push, holds 45 checks and no request).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudEmulator } from '../emulator/emulator.js';
import { loadFixture } from '../emulator/fixtures.js';
import { eventually, spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { digestItem } from '../../src/results/item-digest.js';
import { closeStack, openStack, pushItem } from './stack.js';

const KILLS = 3;

/** The checks in the body ScriptedRunner pushes in v1 (the capture's first push: 45 checks, 40 iterations). */
function checksPerPush(): number {
  const push = loadFixture('v1').find((request) => request.route.kind === 'v1-push');
  assert.ok(push);
  const digest = digestItem(pushItem('v1', push.body, push.headers));
  return Object.values(digest.seconds).reduce((sum, sinks) => sum + (sinks.checks?.type === 'rate' ? sinks.checks.total : 0), 0);
}

describe('results after kill -9 of relayd', () => {
  let emulator: CloudEmulator;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let relayd: ChildRelayd | null = null;

  before(async () => {
    emulator = new CloudEmulator();
    await emulator.listen();
    data = await tempDir('relayd-results-kill-');
  });
  after(async () => {
    relayd?.child.kill('SIGKILL');
    await emulator.close();
    await data.remove();
  });

  it('count every acknowledged push once, delivered or not', async () => {
    const perPush = checksPerPush();
    assert.ok(perPush > 0);
    const options = testOptions(emulator.url, data.path, { 'log-level': 'info' });
    relayd = await spawnRelayd(options);
    const runner = new ScriptedRunner(relayd.url, { protocol: 'v1' });
    assert.equal((await runner.create()).status, 200);
    let unacknowledged = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      emulator.setFault({ kind: 'slow', delayMs: 30 });
      let killed = false;
      const sender = async (): Promise<void> => {
        while (!killed) {
          try {
            const response = await runner.push();
            assert.equal(response.status, 200);
          } catch {
            unacknowledged += 1; // died with the daemon: perhaps stored, not acknowledged
            return;
          }
        }
      };
      const ackedBefore = runner.acked.length;
      const sending = sender();
      await eventually(() => runner.acked.length >= ackedBefore + 8, 30_000, 'pushes acknowledged');
      await sleep(100 + Math.floor(Math.random() * 400));
      relayd.child.kill('SIGKILL');
      killed = true;
      assert.equal(await relayd.exited, 'SIGKILL');
      await sending;
      if (kill < KILLS - 1) {
        relayd = await spawnRelayd(options);
        runner.retarget(relayd.url);
      }
    }
    relayd = null;
    const delivered = emulator.runs.get(runner.runId)?.pushes.length ?? 0;
    assert.ok(delivered > 0, 'some pushes were delivered (and left the inbox) before a kill');

    const stack = await openStack(data.path);
    try {
      const results = stack.engine.get(runner.runId);
      assert.ok(results, 'the run has results');
      const acknowledged = runner.acked.length * perPush;
      const checks = results.summary.find((row) => row.metric === 'checks')?.values.passes ?? 0;
      assert.ok(
        checks >= acknowledged && checks <= acknowledged + unacknowledged * perPush,
        `checks ${checks}: ${runner.acked.length} acknowledged pushes of ${perPush} (+ at most ${unacknowledged} unacknowledged)`,
      );
      assert.equal(checks % perPush, 0, 'whole pushes only');
      console.log(`# ${runner.acked.length} pushes acknowledged, ${delivered} delivered, ${unacknowledged} cut by a kill; checks in the results: ${checks}`);
      assert.equal(results.buckets.reduce((sum, b) => sum + b.checksPassed, 0), checks, 'the buckets hold them all');
    } finally {
      await closeStack(stack);
    }
  });
});
