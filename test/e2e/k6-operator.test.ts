// The k6-operator with K6_CLOUD_HOST=relayd in spec.runner.env (README, "k6-operator"): a stand-in
// makes the operator's calls (test/helpers/k6-operator.ts) while relayd forwards to the emulator.
// Its create is answered with the four positive settings it needs, online (the cloud answered,
// missing or zero values filled in) and offline (a provisional run); its runners push concurrently
// with K6_CLOUD_PUSH_REF_ID; its events and its single finish reach the cloud after all the data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmulatedRun } from '../emulator/emulator.js';
import { K6OperatorStandIn, OPERATOR_FINISH } from '../helpers/k6-operator.js';
import { eventually, runView, useRelaydStack } from '../helpers/relayd.js';
import { PUSH_REF_ID_CAPTURE } from '../helpers/runner.js';

const TOKEN = 'Token operator-cloud-token';
const INSTANCES = 3;
const PUSHES_PER_RUNNER = 4;
const ERROR_EVENT = [
  {
    event_type: 'TestRunErrorEvent',
    event: { origin: 'k6-operator', error_code: 8030, reason: 'runner job failed', error_detail: 'job k6-sample-2 failed', error_detail_public: 'a runner failed' },
  },
];

/** Every push of the run before its events, the events before its finish, in the order the cloud got them. */
function assertOrder(requests: readonly unknown[], run: EmulatedRun): void {
  const at = (request: unknown): number => requests.indexOf(request);
  const lastPush = Math.max(...run.pushes.map(at));
  assert.equal(run.events.length, 1, 'the events call once');
  assert.ok(lastPush < at(run.events[0]), 'events after every push');
  assert.ok(at(run.events[0]) < at(run.finish), 'the finish after the events');
}

describe('k6-operator through relayd', () => {
  const stack = useRelaydStack({ 'run-timeout': '60s' });

  it('creates through relayd with the settings the operator needs, then runners, events and one finish, in order', async () => {
    // A cloud whose answer sets one setting, zeroes another and leaves the rest out.
    stack.emulator.createConfig = { aggregationPeriod: '5s', metricPushConcurrency: 0 };
    // A slow cloud keeps a backlog in relayd while the events and the finish come in.
    stack.emulator.setFault({ kind: 'slow', delayMs: 30 });
    const operator = new K6OperatorStandIn(stack.relayd.url, { token: TOKEN, instances: INSTANCES });
    const answer = await operator.create('k6-sample');
    assert.equal(answer.reference_id, '1234');
    assert.deepEqual(K6OperatorStandIn.aggregationVars(answer), {
      aggregationPeriodMs: 5000, // the cloud's
      aggregationWaitPeriodMs: 8000,
      metricPushIntervalMs: 1000,
      metricPushConcurrency: 1, // the cloud's 0 would stop every runner
    });

    await operator.runJobs(operator.runners(), PUSHES_PER_RUNNER);
    assert.equal((await operator.events(ERROR_EVENT)).status, 200);
    assert.equal((await operator.finish()).status, 200);

    const run = stack.emulator.runs.get('1234')!;
    await eventually(() => run.finish !== undefined, 20_000, 'the operator’s finish upstream');
    stack.emulator.setFault(null);
    assert.equal(run.createBody.name, 'k6-sample');
    assert.equal(run.createHeaders['user-agent'], 'k6cloud/1.2.3');
    assert.match(run.createHeaders['content-type'] ?? '', /application\/json/);
    assert.equal(run.pushes.length, INSTANCES * PUSHES_PER_RUNNER);
    assert.ok(run.pushes.every((push) => push.body.equals(PUSH_REF_ID_CAPTURE.body)), 'the runners’ pushes byte for byte');
    assert.deepEqual(JSON.parse(run.events[0]!.body.toString()), ERROR_EVENT);
    assert.equal(run.events[0]!.headers.authorization, TOKEN);
    assert.deepEqual(run.finish!.body, OPERATOR_FINISH);
    assert.equal(stack.emulator.requests.filter((r) => r.route?.kind === 'finish').length, 1, 'one finish, as the operator sent it');
    assertOrder(stack.emulator.requests, run);

    const view = await runView(stack.relayd.url, '1234');
    assert.equal(view.adopted, false, 'the operator created it through relayd');
  });

  it('answers the operator offline with a provisional run that has the settings too, and delivers it all once the cloud is back', async () => {
    stack.emulator.createConfig = {};
    await stack.emulator.down();
    const operator = new K6OperatorStandIn(stack.relayd.url, { token: TOKEN, instances: INSTANCES });
    const answer = await operator.create('k6-offline');
    assert.match(answer.reference_id, /^9\d{16}$/, 'a provisional id');
    assert.deepEqual(K6OperatorStandIn.aggregationVars(answer), {
      aggregationPeriodMs: 3000,
      aggregationWaitPeriodMs: 8000,
      metricPushIntervalMs: 1000,
      metricPushConcurrency: 1,
    });

    await operator.runJobs(operator.runners(), PUSHES_PER_RUNNER);
    assert.equal((await operator.events(ERROR_EVENT)).status, 200);
    assert.equal((await operator.finish()).status, 200);
    await stack.emulator.up();

    await eventually(() => [...stack.emulator.runs.values()].some((run) => run.createBody.name === 'k6-offline' && run.finish !== undefined), 30_000, 'the run upstream');
    const run = [...stack.emulator.runs.values()].find((candidate) => candidate.createBody.name === 'k6-offline')!;
    assert.equal(run.pushes.length, INSTANCES * PUSHES_PER_RUNNER, 'every push, its test_run_id set to the cloud’s id');
    assert.deepEqual(run.finish!.body, OPERATOR_FINISH);
    assertOrder(stack.emulator.requests, run);
    await eventually(async () => (await runView(stack.relayd.url, answer.reference_id)).state === 'finished', 5000, 'relayd ends the run');
    assert.equal((await runView(stack.relayd.url, answer.reference_id)).upstreamId, run.id);
  });
});
