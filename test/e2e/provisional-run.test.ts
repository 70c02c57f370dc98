// The cloud is down when k6 creates its run: relayd answers with a provisional numeric id at once,
// queues everything, and when the cloud is back creates the run there and delivers every push and
// the finish under the cloud's id, with MetricSet.test_run_id rewritten in v2 bodies.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { densestV2Body, V2_HEADERS } from '../../bench/payloads.js';
import { decodeMetricSet, snappyUncompressBounded } from '../../src/protocol/index.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { send } from '../emulator/send.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

describe('provisional run ids', () => {

  const stack = useRelaydStack();

  it('maps a run created while the cloud was down to the cloud id once it is back', async () => {
    await stack.emulator.down();
    const runner = new ScriptedRunner(stack.relayd.url);
    const created = await runner.create();
    assert.equal(created.status, 200);
    const answer = JSON.parse(created.body.toString()) as { reference_id: string; config: Record<string, unknown>; logs: { message: string }[] };
    assert.match(answer.reference_id, /^9\d{16}$/, 'a numeric provisional id');
    assert.equal(answer.config.tracesEnabled, false);
    assert.equal(answer.config.testRunDetails, `${stack.relayd.url}/runs/${answer.reference_id}`, 'k6 prints the relay run page');
    assert.match(answer.logs[0]!.message, /could not be reached/);

    const page = await fetch(String(answer.config.testRunDetails)).then((r) => r.json()) as { provisional: boolean; upstreamId: null };
    assert.equal(page.provisional, true);
    assert.equal(page.upstreamId, null);

    for (let i = 0; i < 4; i++) assert.equal((await runner.push()).status, 200);
    assert.equal((await runner.finish(5)).status, 200);

    await stack.emulator.up();
    await eventually(() => [...stack.emulator.runs.values()].some((run) => run.finish !== undefined), 15_000, 'the run and its finish in the cloud');
    const [cloudRun] = [...stack.emulator.runs.values()];
    assert.ok(cloudRun);
    assert.notEqual(cloudRun.id, runner.runId);
    assert.deepEqual(cloudRun.pushes.map((push) => push.idempotencyKey).sort(), [...runner.acked].sort(), 'every push, once');
    for (const push of cloudRun.pushes) {
      assert.equal(push.path, `/v2/metrics/${cloudRun.id}`);
      const metricSet = decodeMetricSet(snappyUncompressBounded(push.body, 1 << 24));
      assert.equal(metricSet.testRunId, cloudRun.id, 'test_run_id rewritten to the cloud id');
    }
    assert.equal(cloudRun.finish!.path, `/v1/tests/${cloudRun.id}`);
    assert.equal(cloudRun.runStatus, 5);

    const runPage = async () => (await fetch(`${stack.relayd.url}/runs/${runner.runId}`).then((r) => r.json())) as { upstreamId: string; state: string };
    // relayd ends the run once the cloud has answered the finish, a moment after the cloud saw it.
    await eventually(async () => (await runPage()).state === 'aborted_by_user', 5000, 'relayd to end the run');
    assert.equal((await runPage()).upstreamId, cloudRun.id);
  });

  it('passes a cloud 4xx on create back as it came, and goes provisional on a 5xx', async () => {
    // The 4xx first: once a provisional run exists, its queued create races this test for faults.
    stack.emulator.setFault({ kind: 'status', status: 401, count: 1, body: '{"error":{"code":2,"message":"Invalid token"}}' });
    const refused = await new ScriptedRunner(stack.relayd.url).create();
    assert.equal(refused.status, 401);
    assert.equal(refused.body.toString(), '{"error":{"code":2,"message":"Invalid token"}}');

    stack.emulator.setFault({ kind: 'status', status: 503, count: 1 });
    const provisional = new ScriptedRunner(stack.relayd.url);
    const created = await provisional.create();
    assert.equal(created.status, 200);
    assert.match(provisional.runId, /^9\d{16}$/);
    await eventually(() => stack.emulator.runs.size === 2, 5000, 'the queued create delivered once the cloud answers');
  });

  it('rewrites the run id of a push whose body was kept in a file', async () => {
    await stack.emulator.down();
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    const { body } = densestV2Body(runner.runId);
    assert.ok(body.length >= PUSH_BODY_FILE_BYTES, 'the body goes to a file');
    const headers = { ...V2_HEADERS, authorization: 'Token t', 'k6-idempotency-key': 'large' };
    assert.equal((await send(`${stack.relayd.url}/v2/metrics/${runner.runId}`, { headers, body })).status, 200);
    const bodies = join(stack.relayd.dataDir, 'bodies');
    assert.equal((await readdir(bodies)).length, 1, 'kept in a file while queued');

    const before = new Set(stack.emulator.runs.keys());
    await stack.emulator.up();
    const delivered = () => [...stack.emulator.runs.values()].find((run) => !before.has(run.id) && run.pushes.length === 1);
    await eventually(() => delivered() !== undefined, 20_000, 'the push in the cloud');
    const cloudRun = delivered()!;
    const metricSet = decodeMetricSet(snappyUncompressBounded(cloudRun.pushes[0]!.body, 1 << 26));
    assert.equal(metricSet.testRunId, cloudRun.id, 'test_run_id rewritten to the cloud id');
    assert.equal(metricSet.metrics[0]!.timeSeries.length, 1000, 'every series of the push');
    await eventually(async () => (await readdir(bodies)).length === 0, 5000, 'the file deleted once delivered');
  });
});
