// Runs created elsewhere (K6_CLOUD_PUSH_REF_ID, K6_CLOUDRUN_TEST_RUN_ID, a CI step that created the
// run first): relayd adopts them from their first push, forwards everything to the same id as it
// came, never finishes them itself (closes them locally at the run timeout, opens them again on the
// next push), and refuses ids no cloud run can have with a 404 that says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runListSchema } from '../../src/ingest/admin-messages.js';
import { send, type SendResult } from '../emulator/send.js';
import { sample, scrape } from '../helpers/prometheus.js';
import { eventually, runView, useRelaydStack } from '../helpers/relayd.js';
import { PUSH_REF_ID_CAPTURE, ScriptedRunner } from '../helpers/runner.js';

const HOP_BY_HOP = new Set(['host', 'transfer-encoding', 'content-length', 'accept-encoding']);
const FINISH = Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}');

function finish(url: string, runId: string, token: string): Promise<SendResult> {
  return send(`${url}/v1/tests/${runId}`, { headers: { authorization: token, 'content-type': 'application/json', 'user-agent': 'k6cloud/1.3.0' }, body: FINISH });
}

describe('runs created elsewhere', () => {
  const stack = useRelaydStack({ 'run-timeout': '2s' }, { firstRunId: 1234 });

  it('replays the real k6 v1.3.0 K6_CLOUD_PUSH_REF_ID capture to the cloud byte for byte', async () => {
    // The run k6 was pointed at with K6_CLOUD_PUSH_REF_ID=1234, created at the cloud, not through relayd.
    const run = stack.emulator.createRunElsewhere('push-ref-id');
    assert.equal(run.id, '1234');
    const headers = Object.fromEntries(Object.entries(PUSH_REF_ID_CAPTURE.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const response = await send(`${stack.relayd.url}${PUSH_REF_ID_CAPTURE.path}`, { headers, body: PUSH_REF_ID_CAPTURE.body, framing: 'chunked' });
    assert.equal(response.status, 200, response.body.toString());

    await eventually(() => run.pushes.length === 1, 10_000, 'the push upstream');
    const [got] = run.pushes;
    assert.equal(got!.path, '/v2/metrics/1234');
    assert.deepEqual(got!.body, PUSH_REF_ID_CAPTURE.body, 'byte-identical');
    for (const [name, value] of Object.entries(headers)) assert.equal(got!.headers[name], value, `keeps ${name}`);
    assert.ok(run.samples > 0);
    assert.equal(stack.emulator.requests.filter((r) => r.route?.kind === 'create').length, 0, 'no create was sent for it');

    const view = await runView(stack.relayd.url, '1234');
    assert.equal(view.adopted, true);
    assert.equal(view.upstreamId, '1234');
    assert.equal(view.provisional, false);
    await eventually(async () => (await runView(stack.relayd.url, '1234')).delivered.requests === 1, 5000, 'relayd counted the delivery');
  });

  it('closes an adopted run locally at the run timeout, sends no finish, and opens it again on the next push', async () => {
    const run = stack.emulator.createRunElsewhere('ci-created');
    const runner = new ScriptedRunner(stack.relayd.url, { runId: run.id, token: 'Token ci-runner' });
    for (let i = 0; i < 2; i++) assert.equal((await runner.push()).status, 200);
    assert.equal((await runView(stack.relayd.url, run.id)).state, 'running');

    await eventually(async () => (await runView(stack.relayd.url, run.id)).state === 'closed', 10_000, 'the local close after the run timeout');
    const closedView = await runView(stack.relayd.url, run.id);
    assert.notEqual(closedView.endedAt, null);
    const { runs } = runListSchema.parse(await (await fetch(`${stack.relayd.url}/api/v1/runs`)).json());
    const closedAdopted = runs.filter((view) => view.adopted && view.state === 'closed').length;
    assert.ok(closedAdopted >= 1);
    assert.equal(sample(await scrape(stack.relayd.url), 'relayd_adopted_runs', { state: 'closed' }), closedAdopted);
    // Give a (wrong) finish time to go out: relayd must leave the finish to the run's creator.
    await sleep(500);
    assert.equal(run.finish, undefined, 'relayd sent no finish for a run it did not create');
    assert.equal(stack.emulator.requests.filter((r) => r.route?.kind === 'finish').length, 0);

    assert.equal((await runner.push()).status, 200, 'a closed adopted run takes data again');
    assert.equal((await runView(stack.relayd.url, run.id)).state, 'running');
    await eventually(() => run.pushes.length === 3, 10_000, 'the push after the reopen');

    // Closed again, then its creator's finish: taken and forwarded after the data.
    await eventually(async () => (await runView(stack.relayd.url, run.id)).state === 'closed', 10_000, 'the second close');
    assert.equal((await finish(stack.relayd.url, run.id, 'Token ci-creator')).status, 200);
    await eventually(() => run.finish !== undefined, 10_000, 'the creator’s finish upstream');
    assert.equal(run.finish!.headers.authorization, 'Token ci-creator', 'the finish goes with its own Authorization');
    assert.ok(run.pushes.every((push) => push.headers.authorization === 'Token ci-runner'));
    assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt));
    assert.equal(run.runStatus, 3);
    await eventually(async () => (await runView(stack.relayd.url, run.id)).state === 'finished', 5000, 'relayd ends the run');
    assert.equal((await runner.push()).status, 409, 'a finished adopted run takes no more data');
  });

  it('adopts a run from a finish alone (K6_CLOUDRUN_TEST_RUN_ID with no data) and forwards it', async () => {
    const run = stack.emulator.createRunElsewhere('finish-only');
    assert.equal((await finish(stack.relayd.url, run.id, 'Token k6')).status, 200);
    await eventually(() => run.finish !== undefined, 10_000, 'the finish upstream');
    assert.equal(run.pushes.length, 0);
    assert.equal((await runView(stack.relayd.url, run.id)).adopted, true);
  });
});

describe('ids relayd cannot adopt', () => {
  // Runner tokens required: relayd forwards with its own cloud token.
  const stack = useRelaydStack({ 'accept-token': 'runner-secret', token: 'cloud-secret' }, { acceptTokens: ['cloud-secret'] });

  const push = (runId: string, token = 'Token runner-secret'): Promise<SendResult> =>
    new ScriptedRunner(stack.relayd.url, { runId, token }).push();
  const errorOf = (response: SendResult): { message: string; details: { relayd_code: string[] } } =>
    (JSON.parse(response.body.toString()) as { error: { message: string; details: { relayd_code: string[] } } }).error;

  it('takes an accepted runner token for an adopted run and forwards it with relayd’s cloud token', async () => {
    const run = stack.emulator.createRunElsewhere();
    assert.equal((await push(run.id)).status, 200);
    await eventually(() => run.pushes.length === 1, 10_000, 'the push upstream');
    assert.equal(run.pushes[0]!.headers.authorization, 'Token cloud-secret');
  });

  const cases: [string, () => Promise<SendResult>, number, string, RegExp][] = [
    ['a provisional id relayd never issued', () => push('91764000000000001'), 404, 'RELAYD_UNKNOWN_RUN', /provisional id of relayd .*no record of/],
    ['a finish for a provisional id relayd never issued', () => send(`${stack.relayd.url}/v1/tests/91764000000000001`, { headers: { authorization: 'Token runner-secret' }, body: FINISH }), 404, 'RELAYD_UNKNOWN_RUN', /provisional id/],
    ['a non-numeric id', () => push('my-run'), 404, 'RELAYD_UNKNOWN_RUN', /not a cloud run id/],
    ['the id 0', () => push('0'), 404, 'RELAYD_UNKNOWN_RUN', /not a possible cloud run id/],
    ['an id with a leading zero', () => push('01234'), 404, 'RELAYD_UNKNOWN_RUN', /not a possible cloud run id/],
    ['an id beyond int64', () => push('9223372036854775808'), 404, 'RELAYD_UNKNOWN_RUN', /not a possible cloud run id/],
    ['a push to the adopted run with a wrong runner token', () => push('1234', 'Token guessed'), 401, 'RELAYD_UNAUTHORIZED', /token not accepted/],
    ['a bad body for an unknown cloud id', () => send(`${stack.relayd.url}/v2/metrics/778`, { headers: { authorization: 'Token runner-secret', 'content-encoding': 'snappy' }, body: Buffer.from('not snappy') }), 400, 'RELAYD_BAD_SNAPPY', /snappy/],
  ];

  for (const [what, request, status, code, message] of cases) {
    it(`answers ${status} ${code} to ${what}, adopts nothing and keeps serving`, async () => {
      const response = await request();
      assert.equal(response.status, status, response.body.toString());
      const error = errorOf(response);
      assert.deepEqual(error.details.relayd_code, [code]);
      assert.match(error.message, message);
      const runs = (await (await fetch(`${stack.relayd.url}/api/v1/runs`)).json()) as { runs: { id: string }[] };
      assert.deepEqual(runs.runs.map((run) => run.id), ['1234'], 'no other run was adopted');
      assert.equal(stack.emulator.runs.get('1234')!.pushes.length, 1, 'nothing more reached the adopted run');
      assert.equal((await fetch(`${stack.relayd.url}/healthz`)).status, 200);
    });
  }
});
