import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { CloudEmulator, type EmulatorOptions } from './emulator.js';
import { FIXTURE_RUN_ID, loadFixture, replayFixture } from './fixtures.js';
import { type SendOptions, send } from './send.js';
import { MULTIPART_CAPTURE, capturedCreateHeaders, k6Parts, multipartBody } from '../helpers/multipart.js';

const v2 = loadFixture('v2');
const [create, push, , finish] = v2;

async function start(t: TestContext, options?: EmulatorOptions): Promise<CloudEmulator> {
  const emulator = new CloudEmulator(options);
  await emulator.listen();
  t.after(() => emulator.close());
  return emulator;
}

function post(emulator: CloudEmulator, path: string, options: SendOptions = {}) {
  return send(emulator.url + path, { headers: { authorization: 'Token testtoken' }, ...options });
}

function jsonOf(response: { body: Buffer }): any {
  return JSON.parse(response.body.toString('utf8'));
}

/** Creates a run with the captured create body; returns its id. */
async function createRun(emulator: CloudEmulator, key = 'c0ffee0000000001'): Promise<string> {
  const response = await post(emulator, '/v1/tests', { body: create!.body, headers: { 'k6-idempotency-key': key } });
  assert.equal(response.status, 200);
  return jsonOf(response).reference_id;
}

function pushV2(emulator: CloudEmulator, key: string) {
  return post(emulator, `/v2/metrics/${FIXTURE_RUN_ID}`, {
    body: push!.body,
    headers: { 'content-encoding': 'snappy', 'k6-idempotency-key': key },
  });
}

describe('CloudEmulator recording', () => {
  it('records a replayed chunked v1 capture byte for byte, with samples, headers and the finish', async (t) => {
    const emulator = await start(t, { acceptTokens: ['testtoken'] });
    const { runId, responses } = await replayFixture(emulator.url, 'v1', { framing: 'chunked' });
    assert.deepEqual(
      responses.map((r) => r.status),
      responses.map(() => 200),
    );
    assert.equal(runId, FIXTURE_RUN_ID);
    const fixtures = loadFixture('v1');
    const run = emulator.runs.get(runId)!;
    assert.deepEqual(run.createBody, fixtures[0]!.decoded);
    assert.equal(run.createHeaders['user-agent'], 'k6cloud/0.48.0');
    const pushes = fixtures.filter((f) => f.route.kind === 'v1-push');
    assert.equal(run.pushes.length, pushes.length);
    run.pushes.forEach((recorded, i) => {
      assert.deepEqual(recorded.body, pushes[i]!.body);
      assert.equal(recorded.idempotencyKey, pushes[i]!.headers['k6-idempotency-key']);
      assert.equal(recorded.headers['transfer-encoding'], 'chunked');
      assert.equal(recorded.samples, Number(pushes[i]!.headers['x-payload-sample-count']));
      assert.equal(recorded.runState, 'running');
    });
    assert.equal(run.samples, pushes.reduce((sum, f) => sum + Number(f.headers['x-payload-sample-count']), 0));
    assert.equal(run.duplicates, 0);
    assert.equal(run.state, 'finished');
    assert.equal(run.runStatus, 3);
    assert.deepEqual(run.finishBody, fixtures.at(-1)!.decoded);
    assert.equal(emulator.requests.length, fixtures.length);
  });

  it('accepts v2 pushes framed with Content-Length for a second run, and records an aborted run', async (t) => {
    const emulator = await start(t);
    const first = await replayFixture(emulator.url, 'v2', { framing: 'content-length' });
    const second = await replayFixture(emulator.url, 'v2-sigint', { framing: 'content-length' });
    assert.deepEqual([first.runId, second.runId], ['1234', '1235']);
    for (const { responses } of [first, second]) assert.ok(responses.every((r) => r.status === 200));
    const run = emulator.runs.get(second.runId)!;
    assert.equal(run.pushes[0]!.headers['content-length'], String(run.pushes[0]!.body.length));
    assert.ok(run.samples > 0);
    assert.equal(run.state, 'aborted');
    assert.equal(run.runStatus, 5);
    assert.equal(emulator.runs.get(first.runId)!.state, 'finished');
  });

  it('counts a push repeated with the same idempotency key once, as a duplicate', async (t) => {
    const emulator = await start(t);
    await createRun(emulator);
    for (const key of ['aaaa000000000001', 'aaaa000000000001', 'aaaa000000000002']) {
      assert.equal((await pushV2(emulator, key)).status, 200);
    }
    const run = emulator.runs.get(FIXTURE_RUN_ID)!;
    assert.equal(run.pushes.length, 3);
    assert.equal(run.duplicates, 1);
    assert.deepEqual(run.pushes.map((p) => p.duplicate), [false, true, false]);
    assert.equal(run.samples, 2 * run.pushes[0]!.samples);
  });

  it('answers a create retried with the same idempotency key with the same run', async (t) => {
    const emulator = await start(t);
    const ids = [await createRun(emulator, 'bbbb000000000001'), await createRun(emulator, 'bbbb000000000001')];
    assert.deepEqual(ids, ['1234', '1234']);
    assert.equal(emulator.runs.size, 1);
    assert.equal(emulator.runs.get('1234')!.duplicates, 1);
    assert.equal(await createRun(emulator, 'bbbb000000000002'), '1235');
  });

  it('takes a multipart create as k6 cloud run --local-execution sends it, keeping its bytes and headers', async (t) => {
    const emulator = await start(t, { createConfig: { webAppURL: 'http://cloud.test/app' } });
    const response = await post(emulator, '/v1/tests', { body: MULTIPART_CAPTURE.body, headers: capturedCreateHeaders() });
    assert.equal(response.status, 200);
    assert.deepEqual(jsonOf(response), { reference_id: '1234', config: { webAppURL: 'http://cloud.test/app' } });
    const run = emulator.runs.get('1234')!;
    assert.deepEqual(run.createBody, { name: 'script.js', vus: 5, duration: 38, project_id: 0 });
    assert.ok(run.create.body.equals(MULTIPART_CAPTURE.body));
    assert.equal(run.create.headers['content-type'], MULTIPART_CAPTURE.headers['content-type']);
    const notTar = multipartBody([...k6Parts().slice(0, 4), { name: 'file', value: Buffer.alloc(1024, 0x41), filename: 'archive.tar' }]);
    const refused = await post(emulator, '/v1/tests', { body: notTar, headers: capturedCreateHeaders({ 'k6-idempotency-key': 'another' }) });
    assert.equal(refused.status, 400);
    assert.match(jsonOf(refused).error.message, /not a tar/);
    assert.equal(emulator.runs.size, 1);
  });

  it('merges createConfig into create responses', async (t) => {
    const emulator = await start(t, { createConfig: { host: 'https://ingest.example', tracesEnabled: true } });
    const response = await post(emulator, '/v1/tests', { body: create!.body });
    assert.deepEqual(jsonOf(response), { reference_id: '1234', config: { host: 'https://ingest.example', tracesEnabled: true } });
  });

  it('marks a run timed out after runTimeoutMs without data and flags what arrives later', async (t) => {
    let now = 1_000_000;
    const emulator = await start(t, { runTimeoutMs: 120_000, now: () => now });
    await createRun(emulator);
    const run = emulator.runs.get(FIXTURE_RUN_ID)!;
    now += 100_000;
    await pushV2(emulator, 'cccc000000000001');
    now += 120_000;
    assert.equal(run.state, 'running');
    now += 1;
    assert.equal(run.state, 'timed_out');
    assert.equal(run.runStatus, 4);
    assert.equal((await pushV2(emulator, 'cccc000000000002')).status, 200);
    assert.equal((await post(emulator, `/v1/tests/${FIXTURE_RUN_ID}`, { body: finish!.body })).status, 200);
    assert.deepEqual(run.pushes.map((p) => p.runState), ['running', 'timed_out']);
    assert.equal(run.finish!.runState, 'timed_out');
    assert.equal(run.state, 'timed_out');
  });
});

describe('CloudEmulator errors', () => {
  it('answers 401 in k6 error shape without an accepted token', async (t) => {
    const emulator = await start(t, { acceptTokens: ['secret'] });
    const attempts: Record<string, string>[] = [{}, { authorization: 'Token wrong' }, { authorization: 'Bearer secret' }];
    for (const headers of attempts) {
      const response = await send(`${emulator.url}/v1/tests`, { body: create!.body, headers });
      assert.equal(response.status, 401);
      assert.deepEqual(Object.keys(jsonOf(response).error), ['code', 'message']);
    }
    const accepted = await send(`${emulator.url}/v1/tests`, { body: create!.body, headers: { authorization: 'Token secret' } });
    assert.equal(accepted.status, 200);
  });

  it('answers 404 for an unknown run and an unknown path, 405 for GET', async (t) => {
    const emulator = await start(t);
    assert.equal((await pushV2(emulator, 'dddd000000000001')).status, 404);
    assert.equal((await post(emulator, '/v1/nothing', { body: create!.body })).status, 404);
    assert.equal((await send(`${emulator.url}/v1/tests`, { method: 'GET' })).status, 405);
  });

  it('answers 400 with the decoder message and relayd code for bad bodies', async (t) => {
    const emulator = await start(t);
    await createRun(emulator);
    const badJson = await post(emulator, `/v1/metrics/${FIXTURE_RUN_ID}`, { body: gzipSync('[{'), headers: { 'content-encoding': 'gzip' } });
    assert.equal(badJson.status, 400);
    assert.equal(jsonOf(badJson).error.code, 2);
    assert.deepEqual(jsonOf(badJson).error.details, { relayd_code: ['RELAYD_BAD_JSON'] });
    const wrongRun = await post(emulator, '/v1/tests', { body: create!.body, headers: { 'k6-idempotency-key': 'other' } });
    const otherRun = jsonOf(wrongRun).reference_id;
    const mismatch = await post(emulator, `/v2/metrics/${otherRun}`, { body: push!.body, headers: { 'content-encoding': 'snappy' } });
    assert.equal(mismatch.status, 400);
    assert.match(jsonOf(mismatch).error.message, /test_run_id is "1234", expected "1235"/);
    const badFinish = await post(emulator, `/v1/tests/${FIXTURE_RUN_ID}`, { body: Buffer.from('{"run_status":3}') });
    assert.equal(badFinish.status, 400);
    assert.equal(emulator.runs.get(FIXTURE_RUN_ID)!.state, 'running');
    assert.equal(emulator.runs.get(otherRun)!.pushes.length, 0);
  });

  it('answers 413 for a body larger than maxBodyBytes', async (t) => {
    const emulator = await start(t, { maxBodyBytes: 64 });
    assert.equal((await post(emulator, '/v1/tests', { body: Buffer.alloc(1000, 0x20) })).status, 413);
  });
});

describe('CloudEmulator faults', () => {
  it('refuses connections while down and serves the same port after up', async (t) => {
    const emulator = await start(t);
    const url = emulator.url;
    await emulator.down();
    await assert.rejects(send(`${url}/v1/tests`, { body: create!.body }), { code: 'ECONNREFUSED' });
    await emulator.up();
    assert.equal(emulator.url, url);
    assert.equal((await send(`${url}/v1/tests`, { body: create!.body })).status, 200);
  });

  it('answers 429 with Retry-After for the next N requests, then normally', async (t) => {
    const emulator = await start(t);
    emulator.setFault({ kind: 'status', status: 429, retryAfter: 7, count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await post(emulator, '/v1/tests', { body: create!.body, headers: { 'k6-idempotency-key': `k${i}` } });
      statuses.push(response.status);
      if (response.status === 429) assert.equal(response.headers['retry-after'], '7');
    }
    assert.deepEqual(statuses, [429, 429, 200]);
    assert.equal(emulator.fault, null);
    assert.deepEqual(emulator.requests.map((r) => r.status), [429, 429, 200]);
  });

  it('answers an injected status until the fault is cleared', async (t) => {
    const emulator = await start(t);
    emulator.setFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) assert.equal((await post(emulator, '/v1/tests', { body: create!.body })).status, 503);
    emulator.setFault(null);
    assert.equal((await post(emulator, '/v1/tests', { body: create!.body })).status, 200);
  });

  it('answers an injected status with a k6 error body, or with a raw body verbatim', async (t) => {
    const emulator = await start(t);
    emulator.setFault({ kind: 'status', status: 403, code: 4, message: 'Test run is finished', count: 1 });
    assert.deepEqual(jsonOf(await post(emulator, '/v1/tests', { body: create!.body })), {
      error: { code: 4, message: 'Test run is finished' },
    });
    emulator.setFault({ kind: 'status', status: 401, body: 'not json', count: 1 });
    const raw = await post(emulator, '/v1/tests', { body: create!.body });
    assert.equal(raw.status, 401);
    assert.equal(raw.body.toString(), 'not json');
  });

  it('resets the connection of the next request without recording it in the run', async (t) => {
    const emulator = await start(t);
    await createRun(emulator);
    emulator.setFault({ kind: 'reset', count: 1 });
    await assert.rejects(pushV2(emulator, 'eeee000000000001'), (err: NodeJS.ErrnoException) => {
      assert.match(err.code ?? err.message, /ECONNRESET|EPIPE|socket hang up/);
      return true;
    });
    assert.equal(emulator.runs.get(FIXTURE_RUN_ID)!.pushes.length, 0);
    assert.equal((await pushV2(emulator, 'eeee000000000001')).status, 200);
  });

  it('can reset after processing, so the push is recorded but the client sees an error', async (t) => {
    const emulator = await start(t);
    await createRun(emulator);
    emulator.setFault({ kind: 'reset', afterProcessing: true, count: 1 });
    await assert.rejects(pushV2(emulator, 'ffff000000000001'));
    assert.equal((await pushV2(emulator, 'ffff000000000001')).status, 200);
    const run = emulator.runs.get(FIXTURE_RUN_ID)!;
    assert.equal(run.pushes.length, 2);
    assert.equal(run.duplicates, 1);
  });

  it('rejects exactly one push with a 4xx when the fault is limited to the next push', async (t) => {
    const emulator = await start(t);
    emulator.setFault({ kind: 'status', status: 400, count: 1, only: 'push' });
    await createRun(emulator);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await pushV2(emulator, `abcd00000000000${i}`)).status);
    assert.deepEqual(statuses, [400, 200, 200]);
    assert.equal(emulator.runs.get(FIXTURE_RUN_ID)!.pushes.length, 2);
  });

  it('delays the response of a slow request until the delay has passed', async (t) => {
    const emulator = await start(t);
    emulator.setFault({ kind: 'slow', delayMs: 300, count: 1 });
    let settled = false;
    const response = post(emulator, '/v1/tests', { body: create!.body }).finally(() => (settled = true));
    await emulator.waitFor(() => emulator.requests.length === 1, 1000);
    assert.equal(settled, false);
    assert.equal((await response).status, 200);
  });
});

describe('CloudEmulator admin API', () => {
  it('sets and clears faults, and summarises runs over HTTP', async (t) => {
    const emulator = await start(t);
    const admin = (method: string, path: string, body?: unknown) =>
      send(`${emulator.url}/_emulator/${path}`, { method, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) });

    assert.equal((await admin('POST', 'fault', { kind: 'status', status: 503, count: 1, only: 'push' })).status, 204);
    assert.deepEqual(jsonOf(await admin('GET', 'fault')), { kind: 'status', status: 503, count: 1, only: 'push' });
    await createRun(emulator);
    assert.equal((await pushV2(emulator, '1111000000000001')).status, 503);
    assert.equal((await pushV2(emulator, '1111000000000002')).status, 200);

    const bad = await admin('POST', 'fault', { kind: 'status', status: 'x' });
    assert.equal(bad.status, 400);
    assert.match(jsonOf(bad).error.message, /fault\.status: expected an HTTP status/);
    assert.equal((await admin('POST', 'fault', { kind: 'reset' })).status, 204);
    assert.equal((await admin('DELETE', 'fault')).status, 204);
    assert.equal(emulator.fault, null);

    assert.equal((await admin('POST', 'create-config', { webAppURL: 'https://app.example' })).status, 204);
    assert.deepEqual(emulator.createConfig, { webAppURL: 'https://app.example' });

    const [summary] = jsonOf(await admin('GET', 'runs'));
    assert.deepEqual(
      { id: summary.id, state: summary.state, pushes: summary.pushes, duplicates: summary.duplicates },
      { id: '1234', state: 'running', pushes: 1, duplicates: 0 },
    );
    const detail = jsonOf(await admin('GET', 'runs/1234'));
    assert.equal(detail.requests.length, 1);
    assert.equal(detail.requests[0].bytes, push!.body.length);
    assert.equal(detail.requests[0].idempotencyKey, '1111000000000002');
    assert.equal((await admin('GET', 'runs/999')).status, 404);
    assert.equal(jsonOf(await admin('GET', 'requests')).length, 3);
  });

  it('goes down for a while on request and comes back on the same port', async (t) => {
    const emulator = await start(t);
    assert.equal((await send(`${emulator.url}/_emulator/down`, { body: Buffer.from('{"forMs":300}') })).status, 202);
    // The server goes down once the 202 is sent, and listens again 300 ms later.
    const outcomes: string[] = [];
    const deadline = Date.now() + 5000;
    while (!(outcomes.includes('ECONNREFUSED') && outcomes.at(-1) === '200')) {
      assert.ok(Date.now() < deadline, `still waiting after ${outcomes.join(', ')}`);
      const outcome = await send(`${emulator.url}/v1/tests`, { body: create!.body }).then(
        (response) => String(response.status),
        (err: NodeJS.ErrnoException) => err.code ?? 'error',
      );
      outcomes.push(outcome);
      await sleep(10);
    }
    assert.ok(outcomes.every((outcome) => outcome === '200' || outcome === 'ECONNREFUSED'), outcomes.join(', '));
  });
});
