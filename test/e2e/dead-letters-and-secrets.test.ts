// A push the cloud refuses for good goes to the dead letters (counted, logged) and the run goes on;
// storms of 429 and 503 with Retry-After are sat out; and through all of it, at debug level, the
// token never reaches a log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const SECRET = 'deadbeef-very-secret-token';

describe('refused pushes, throttling and secrets', () => {

  const stack = useRelaydStack({ 'log-level': 'trace' }, { acceptTokens: [SECRET] });

  it('dead-letters a push refused with a 4xx and delivers the rest of the run, finish last', async () => {
    const runner = new ScriptedRunner(stack.relayd.url, { token: `Token ${SECRET}` });
    await runner.create();
    assert.equal((await runner.push()).status, 200);
    await eventually(() => stack.emulator.runs.get(runner.runId)?.pushes.length === 1, 5000, 'the first push');
    stack.emulator.setFault({ kind: 'status', status: 400, count: 1, only: 'push', message: 'metric name too long' });
    assert.equal((await runner.push()).status, 200, 'relayd accepted it: the refusal comes later, from the cloud');
    // Pushes of a run may be in flight together: let this one meet the fault before the next comes.
    await eventually(() => stack.emulator.requests.some((request) => request.status === 400), 5000, 'the refusal');
    assert.equal((await runner.push()).status, 200);
    assert.equal((await runner.finish()).status, 200);

    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 10_000, 'the finish');
    assert.deepEqual(run.pushes.map((p) => p.idempotencyKey), [runner.acked[0], runner.acked[2]]);

    const letters = [];
    for await (const letter of stack.relayd.daemon.queue.deadLetters()) letters.push(letter);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.headers['k6-idempotency-key'], runner.acked[1]);
    assert.match(letters[0]!.reason, /^HTTP 400: .*metric name too long/);
    assert.equal(stack.relayd.daemon.runs.get(runner.runId)!.ledger.deadLettered.requests, 1);
    assert.match(stack.relayd.logs(), /moved to dead letters/);
  });

  it('sits out 429 and 503 storms, waiting at least Retry-After', async () => {
    const runner = new ScriptedRunner(stack.relayd.url, { token: `Token ${SECRET}` });
    await runner.create();
    stack.emulator.setFault({ kind: 'status', status: 429, retryAfter: 1, count: 2, only: 'push' });
    const started = Date.now();
    assert.equal((await runner.push()).status, 200);
    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.pushes.length === 1, 10_000, 'the push after the 429s');
    assert.ok(Date.now() - started >= 2000, 'two Retry-After: 1 waits');

    stack.emulator.setFault({ kind: 'status', status: 503, count: 5, only: 'push' });
    assert.equal((await runner.push()).status, 200);
    await eventually(() => run.pushes.length === 2, 15_000, 'the push after the 503s');
    assert.equal(run.duplicates, 0);
    assert.deepEqual(run.pushes.map((p) => p.idempotencyKey), runner.acked);
  });

  it('passes a refused create back and never logs the token', async () => {
    const intruder = new ScriptedRunner(stack.relayd.url, { token: 'Token wrong-secret-xyz' });
    assert.equal((await intruder.create()).status, 401);
    const logs = stack.relayd.logs();
    assert.ok(logs.length > 1000, 'trace-level logs were written');
    assert.ok(!logs.includes(SECRET), 'the accepted token is not in the logs');
    assert.ok(!logs.includes('wrong-secret-xyz'), 'nor the refused one');
  });
});
