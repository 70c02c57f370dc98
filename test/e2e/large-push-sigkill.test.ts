// A push of 1 MiB or more waits in a body file (queue/durable-queue.ts PUSH_BODY_FILE_BYTES): once
// acknowledged, it survives kill -9 with its file, reaches the cloud byte for byte after the
// restart, and its file goes once it was delivered.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { densestV2Body, V2_HEADERS } from '../../bench/payloads.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { send } from '../emulator/send.js';
import { useChildStack } from '../helpers/child-stack.js';
import { eventually } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

describe('a push kept in a body file across kill -9', () => {
  const stack = useChildStack();

  it('is delivered byte for byte after the restart, and its file deleted', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    await stack.emulator.down();
    const { body } = densestV2Body(runner.runId);
    assert.ok(body.length >= PUSH_BODY_FILE_BYTES);
    const headers = { ...V2_HEADERS, authorization: 'Token testtoken', 'k6-idempotency-key': 'large-kill' };
    assert.equal((await send(`${stack.relayd.url}/v2/metrics/${runner.runId}`, { headers, body })).status, 200);
    const bodies = join(stack.dir, 'store', 'bodies');
    const [kept] = await readdir(bodies);
    assert.ok(kept, 'the acknowledged body is in a file');

    await stack.restart();
    assert.deepEqual(await readdir(bodies), [kept], 'the file survived kill -9');
    await stack.emulator.up();
    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.pushes.length === 1, 20_000, 'the push in the cloud');
    assert.ok(run.pushes[0]!.body.equals(body), 'byte for byte');
    assert.equal(run.pushes[0]!.idempotencyKey, 'large-kill');
    await eventually(async () => (await readdir(bodies)).length === 0, 5000, 'the file deleted after delivery');
  });
});
