// A push of 1 MiB or more waits in a body file (queue/durable-queue.ts PUSH_BODY_FILE_BYTES): once
// acknowledged, it survives kill -9 with its file, reaches the cloud byte for byte after the
// restart, and its file goes once it was delivered. A push whose file was deleted by hand becomes a
// dead letter, and its run goes on.
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { densestV2Body, V2_HEADERS } from '../../bench/payloads.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { send } from '../emulator/send.js';
import { useChildStack } from '../helpers/child-stack.js';
import { eventually, startInProcess, testOptions, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import type { CloudEmulator } from '../emulator/emulator.js';

/** Creates a run, takes the cloud down, and has relayd acknowledge the densest v2 push (kept in a file). */
async function largePushWhileDown(url: string, emulator: CloudEmulator, key: string): Promise<{ runner: ScriptedRunner; body: Buffer }> {
  const runner = new ScriptedRunner(url);
  assert.equal((await runner.create()).status, 200);
  await emulator.down();
  const { body } = densestV2Body(runner.runId);
  assert.ok(body.length >= PUSH_BODY_FILE_BYTES);
  const headers = { ...V2_HEADERS, authorization: 'Token testtoken', 'k6-idempotency-key': key };
  assert.equal((await send(`${url}/v2/metrics/${runner.runId}`, { headers, body })).status, 200);
  return { runner, body };
}

describe('a push kept in a body file across kill -9', () => {
  const stack = useChildStack();

  it('is delivered byte for byte after the restart, and its file deleted', async () => {
    const { runner, body } = await largePushWhileDown(stack.relayd.url, stack.emulator, 'large-kill');
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

describe('a push whose body file was deleted by hand', () => {
  const stack = useRelaydStack();

  it('becomes a dead letter at the next start, and the run goes on', async () => {
    const { runner } = await largePushWhileDown(stack.relayd.url, stack.emulator, 'large-lost');
    assert.equal((await runner.push('small-after')).status, 200);
    const dir = stack.relayd.daemon.queue.bodyFiles.dir;
    await stack.relayd.close();
    for (const file of await readdir(dir)) await rm(join(dir, file));
    stack.relayd = await startInProcess(testOptions(stack.emulator.url, dirname(dir)));
    await stack.emulator.up();

    const upstream = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => upstream.pushes.length === 1, 10_000, 'the small push delivered');
    assert.equal(upstream.pushes[0]!.idempotencyKey, 'small-after');
    const run = stack.relayd.daemon.runs.get(runner.runId)!;
    assert.equal(run.record.state, 'running', 'the run is not rejected for a push');
    const letters = [];
    for await (const letter of stack.relayd.daemon.queue.deadLetters()) letters.push(letter);
    assert.deepEqual(letters.map((letter) => letter.headers['k6-idempotency-key']), ['large-lost']);
    assert.match(letters[0]!.reason, /push's body file .* is missing/);
  });
});
