// Real k6 v0.48.0 traffic replayed into relayd reaches the cloud emulator unchanged: the same bytes,
// the same idempotency keys, then the finish with the same run_status.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadFixture, replayFixture, type FixtureFolder } from '../emulator/fixtures.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';

const FOLDERS: FixtureFolder[] = ['v1', 'v2', 'v2-sigint', 'v2-threshold-fail'];

describe('real k6 captures through relayd', () => {
  // A fresh cloud per capture: it answers the create with 1234, the id k6 was given when the capture
  // was made, so the bodies (v2 carries the id inside) must arrive exactly as captured.
  const stack = useRelaydStack({}, {}, { start: beforeEach, stop: afterEach });

  for (const folder of FOLDERS) {
    it(`delivers the ${folder} capture byte for byte with its idempotency keys, finish last`, async () => {
      const captured = loadFixture(folder);
      const { runId, responses } = await replayFixture(stack.relayd.url, folder, { framing: 'chunked' });
      assert.deepEqual(responses.map((r) => r.status), captured.map(() => 200));

      assert.equal(runId, '1234');
      const run = stack.emulator.runs.get(runId);
      assert.ok(run, `the emulator knows run ${runId}`);
      await eventually(() => run.finish !== undefined, 10_000, `the finish of ${folder}`);

      const pushes = captured.filter((c) => c.route.kind === 'v1-push' || c.route.kind === 'v2-push');
      assert.equal(run.pushes.length, pushes.length);
      // A run's pushes may reach the cloud in any order (several in flight, §9.4.3): match by key.
      const byKey = new Map(run.pushes.map((push) => [push.idempotencyKey, push]));
      pushes.forEach((capture, i) => {
        const got = byKey.get(capture.headers['k6-idempotency-key']);
        assert.ok(got, `push ${i} arrived with its key`);
        for (const header of ['content-encoding', 'content-type', 'user-agent', 'k6-metrics-protocol-version', 'x-payload-sample-count', 'x-payload-byte-count', 'authorization']) {
          assert.equal(got.headers[header], capture.headers[header], `push ${i} keeps ${header}`);
        }
        assert.deepEqual(got.body, capture.body, `push ${i} is byte-identical`);
      });

      const finishCapture = captured.at(-1)!;
      assert.equal(finishCapture.route.kind, 'finish');
      assert.deepEqual(run.finish!.body, finishCapture.body);
      assert.equal(run.finish!.idempotencyKey, finishCapture.headers['k6-idempotency-key']);
      assert.equal(run.runStatus, (finishCapture.decoded as { run_status: number }).run_status);
      assert.ok(run.pushes.every((push) => push.receivedAt <= run.finish!.receivedAt), 'finish after every push');
    });
  }
});
