// The admin API's run ledger after real runs: what was received, persisted, delivered, refused for
// good and is still pending, checked against what the runner sent and the cloud (the emulator)
// received; and the ledger surviving a restart and a SIGKILL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudEmulator } from '../emulator/emulator.js';
import { eventually, runView, spawnRelayd, startInProcess, tempDir, testOptions } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { runListSchema, runViewSchema, statusSchema } from '../../src/ingest/admin-messages.js';

describe('admin API', () => {
  let cloud: CloudEmulator;
  let data: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    cloud = new CloudEmulator();
    await cloud.listen();
  });
  after(async () => {
    await cloud.close();
  });

  it('keeps a ledger of a run that matches the runner and the cloud, and it survives a restart', async () => {
    data = await tempDir();
    const options = testOptions(cloud.url, data.path, { 'retry-initial-delay': '10ms', 'retry-max-delay': '50ms' });
    let relayd = await startInProcess(options);
    try {
      const runner = new ScriptedRunner(relayd.url);
      const started = Date.now();
      assert.equal((await runner.create()).status, 200);
      assert.equal((await runner.push()).status, 200);
      await eventually(() => cloud.runs.get(runner.runId)?.pushes.length === 1, 5000, 'the first push upstream');
      cloud.setFault({ kind: 'status', status: 400, count: 1, only: 'push', message: 'metric name too long' });
      assert.equal((await runner.push()).status, 200);
      assert.equal((await runner.push()).status, 200);
      assert.equal((await runner.finish()).status, 200);
      const run = cloud.runs.get(runner.runId)!;
      await eventually(() => run.finish !== undefined, 10_000, 'the finish upstream');
      // The cloud has the finish a moment before relayd has its answer and ends the run.
      await eventually(async () => (await runView(relayd.url, runner.runId)).state === 'finished', 5000, 'the run ended in relayd');

      const perPush = { samples: run.pushes[0]!.samples, bytes: run.pushes[0]!.body.length };
      const tally = (n: number) => ({ requests: n, samples: n * perPush.samples, bytes: n * perPush.bytes });
      const view = await runView(relayd.url, runner.runId);
      assert.equal(view.id, runner.runId);
      assert.equal(view.upstreamId, runner.runId);
      assert.equal(view.state, 'finished');
      assert.equal(view.provisional, false);
      assert.deepEqual(view.received, tally(3));
      assert.deepEqual(view.persisted, tally(3));
      assert.deepEqual(view.delivered, tally(run.pushes.length), 'what the cloud got');
      assert.deepEqual(view.delivered, tally(2));
      assert.deepEqual(view.deadLettered, tally(1));
      assert.deepEqual(view.pending, { requests: 0, bytes: 0 });
      assert.ok(Date.parse(view.firstDataAt!) >= started - 1000 && Date.parse(view.firstDataAt!) <= Date.parse(view.lastDataAt!));
      assert.ok(view.endedAt !== null);
      assert.equal(view.lastError, null, 'a run that ended well shows no error');

      const list = runListSchema.parse(await (await fetch(`${relayd.url}/api/v1/runs`)).json());
      assert.deepEqual(list.runs.find((r) => r.id === runner.runId), view);
      assert.deepEqual(await runView(relayd.url, runner.runId), runViewSchema.parse(await (await fetch(`${relayd.url}/runs/${runner.runId}`)).json()), 'the run page is the same view');
      const missing = await fetch(`${relayd.url}/api/v1/runs/404404`);
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as { error: { message: string } }).error.message, /unknown test run id/);

      await relayd.close();
      relayd = await startInProcess(options);
      const restarted = await runView(relayd.url, runner.runId);
      assert.deepEqual({ ...restarted }, { ...view }, 'the whole ledger survives a restart');
    } finally {
      await relayd.close();
      await data.remove();
    }
  });

  it('counts what it acknowledged even when killed with SIGKILL while the cloud is away', async () => {
    data = await tempDir();
    await cloud.down();
    const options = testOptions(cloud.url, data.path, { 'create-timeout': '200ms' });
    let child = await spawnRelayd(options);
    try {
      const runner = new ScriptedRunner(child.url);
      assert.equal((await runner.create()).status, 200, 'a provisional run');
      for (let i = 0; i < 4; i++) assert.equal((await runner.push()).status, 200);
      const before = await runView(child.url, runner.runId);
      assert.equal(before.provisional, true);
      assert.equal(before.upstreamId, null);
      assert.equal(before.persisted.requests, 4);
      assert.equal(before.pending.requests, 5, 'the queued create and 4 pushes');
      assert.match(before.lastError ?? '', /ECONNREFUSED/);

      child.child.kill('SIGKILL');
      await child.exited;
      child = await spawnRelayd(options);
      const after = await runView(child.url, runner.runId);
      assert.deepEqual(after.persisted, before.persisted, 'every acknowledged push is counted after kill -9');
      assert.deepEqual(after.received, before.received);
      assert.equal(after.firstDataAt, before.firstDataAt);
      assert.equal(after.pending.requests, 5);
      assert.deepEqual(after.delivered, { requests: 0, samples: 0, bytes: 0 });

      const status = statusSchema.parse(await (await fetch(`${child.url}/api/v1/status`)).json());
      assert.equal(status.upstream.reachable, false);
      assert.equal(status.backlog.requests, 5);
      assert.ok(status.backlog.oldestAgeSeconds !== null && status.backlog.oldestAgeSeconds > 0);
      assert.deepEqual(status.runsByState, { running: 1 });

      await cloud.up();
      runner.retarget(child.url);
      assert.equal((await runner.finish()).status, 200);
      // The finish's own removal from the queue lands just after the run turns finished.
      const settled = async (): Promise<boolean> => {
        const view = await runView(child.url, runner.runId);
        return view.state === 'finished' && view.pending.requests === 0;
      };
      await eventually(settled, 15_000, 'the run delivered after the cloud came back');
      const done = await runView(child.url, runner.runId);
      assert.deepEqual(done.delivered, done.persisted, 'all of it delivered');
      assert.notEqual(done.upstreamId, null);
      assert.deepEqual(done.pending, { requests: 0, bytes: 0 });
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
      await cloud.up().catch(() => undefined);
      await data.remove();
    }
  });
});
