// Real k6 v1.3.0 traffic (test/fixtures/k6-v1.3.0) replayed into relayd reaches the cloud emulator
// as k6 sent it: every body byte for byte, with the headers the cloud reads, the multipart create of
// `k6 cloud run --local-execution` included (its boundary lives in the Content-Type).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadFixture, replayFixture, type FixtureFolder, type FixtureRequest } from '../emulator/fixtures.js';
import type { RecordedRequest } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';

/** What relayd must pass on unchanged (forwarded-headers.ts); absent in the capture = absent upstream. */
const KEPT_HEADERS = ['content-type', 'content-encoding', 'authorization', 'k6-idempotency-key', 'user-agent', 'k6-metrics-protocol-version', 'x-stack-id'];

function assertAsCaptured(got: RecordedRequest, capture: FixtureRequest): void {
  for (const header of KEPT_HEADERS) assert.equal(got.headers[header], capture.headers[header], `${capture.name} keeps ${header}`);
  assert.ok(got.body.equals(capture.body), `${capture.name} is byte-identical (${got.body.length} vs ${capture.body.length} bytes)`);
}

const isPush = (capture: FixtureRequest): boolean => capture.route.kind === 'v2-push' || capture.route.kind === 'v1-push';

describe('real k6 v1.3.0 captures through relayd', () => {
  // A fresh cloud per capture, answering the create with 1234 as the capture server did, so that
  // the v2 bodies (which carry the id) must arrive exactly as captured.
  const stack = useRelaydStack({}, {}, { start: beforeEach, stop: afterEach });

  const withCreate: FixtureFolder[] = ['run-out-cloud', 'cloud-run-local-execution', 'cloud-run-local-execution-no-archive'];
  for (const folder of withCreate) {
    it(`delivers ${folder} byte for byte with its headers: create, pushes, finish last`, async () => {
      const captured = loadFixture(folder);
      const { runId, responses } = await replayFixture(stack.relayd.url, folder);
      assert.deepEqual(responses.map((r) => r.status), captured.map(() => 200));
      assert.equal(runId, '1234');

      const run = stack.emulator.runs.get(runId);
      assert.ok(run, 'the cloud created run 1234');
      await eventually(() => run.finish !== undefined, 10_000, `the finish of ${folder}`);
      const creates = stack.emulator.requests.filter((r) => r.route?.kind === 'create');
      assert.equal(creates.length, 1, 'one create upstream');
      assertAsCaptured(run.create, captured[0]!);

      const pushes = captured.filter(isPush);
      assert.equal(run.pushes.length, pushes.length);
      const byKey = new Map(run.pushes.map((push) => [push.idempotencyKey, push]));
      for (const capture of pushes) {
        const got = byKey.get(capture.headers['k6-idempotency-key']);
        assert.ok(got, `${capture.name} arrived`);
        assertAsCaptured(got, capture);
      }
      assertAsCaptured(run.finish!, captured.at(-1)!);
      assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt), 'finish after every push');
    });
  }

  it('passes the multipart create on with its boundary and length (cloud-run-local-execution)', async () => {
    const [create] = loadFixture('cloud-run-local-execution');
    assert.match(create!.headers['content-type']!, /^multipart\/form-data; boundary=[0-9a-f]{60}$/);
    await replayFixture(stack.relayd.url, 'cloud-run-local-execution');
    const run = stack.emulator.runs.get('1234')!;
    assert.equal(run.create.headers['content-length'], create!.headers['content-length']);
    assert.deepEqual(run.createBody, { name: 'script.js', vus: 5, duration: 38, project_id: 0 });
  });

  it('delivers push-ref-id (a run created elsewhere, adopted by relayd) byte for byte', async () => {
    // The run exists in the cloud (created there, e.g. by the k6-operator); relayd never saw its create.
    const [otherCreate] = loadFixture('run-out-cloud');
    const created = await send(`${stack.emulator.url}/v1/tests`, { headers: { 'content-type': 'application/json' }, body: otherCreate!.body });
    assert.equal(JSON.parse(created.body.toString()).reference_id, '1234');

    const captured = loadFixture('push-ref-id');
    const { responses } = await replayFixture(stack.relayd.url, 'push-ref-id');
    assert.deepEqual(responses.map((r) => r.status), captured.map(() => 200));
    const run = stack.emulator.runs.get('1234')!;
    await eventually(() => run.pushes.length === captured.length, 10_000, 'the pushes of push-ref-id');
    const byKey = new Map(run.pushes.map((push) => [push.idempotencyKey, push]));
    for (const capture of captured) assertAsCaptured(byKey.get(capture.headers['k6-idempotency-key'])!, capture);
  });
});
