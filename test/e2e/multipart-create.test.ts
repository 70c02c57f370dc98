// The multipart create of `k6 cloud run --local-execution` (k6 v0.54–v2.1) through relayd: made
// while the cloud is down (provisional id, the create sent unchanged later, every push under the
// cloud's id); k6's three attempts with one idempotency key giving one run, JSON creates too; and
// every malformed body refused with a 4xx that leaves nothing behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { decodeMetricSet, rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { loadFixture } from '../emulator/fixtures.js';
import { send, type SendResult } from '../emulator/send.js';
import { eventually, startInProcess, testOptions, useRelaydStack, type Stack } from '../helpers/relayd.js';
import { CAPTURED_BOUNDARY, MULTIPART_CAPTURE, capturedArchive, capturedCreateHeaders, k6Parts, multipartBody } from '../helpers/multipart.js';

const [, capturedPush, capturedFinish] = loadFixture('cloud-run-local-execution');
const JSON_CREATE = loadFixture('cloud-run-local-execution-no-archive')[0]!;
const KEPT_HEADERS = ['content-type', 'authorization', 'k6-idempotency-key', 'user-agent'];
const PROVISIONAL = /^9\d{16}$/;

/** The body files relayd holds (the folder appears with the first multipart create). */
const bodyFiles = (stack: Stack): Promise<string[]> =>
  readdir(stack.relayd.daemon.queue.bodyFiles.dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
const referenceOf = (response: SendResult): string => (JSON.parse(response.body.toString()) as { reference_id: string }).reference_id;
const upstreamCreates = (stack: Stack) => stack.emulator.requests.filter((r) => r.route?.kind === 'create');

function createMultipart(stack: Stack, headers: Record<string, string> = capturedCreateHeaders(), body = MULTIPART_CAPTURE.body): Promise<SendResult> {
  return send(`${stack.relayd.url}/v1/tests`, { headers, body });
}

/** A push as k6 sends it after the create: the captured one, for the run id it was given. */
function pushFor(stack: Stack, runId: string): Promise<SendResult> {
  const { host: _host, 'transfer-encoding': _te, ...headers } = capturedPush!.headers;
  const body = snappyCompress(rewriteTestRunId(snappyUncompressBounded(capturedPush!.body, 1 << 24), runId));
  return send(`${stack.relayd.url}/v2/metrics/${runId}`, { headers: { ...headers, 'k6-idempotency-key': randomBytes(8).toString('hex') }, body, framing: 'chunked' });
}

function finishFor(stack: Stack, runId: string): Promise<SendResult> {
  const { host: _host, 'content-length': _length, ...headers } = capturedFinish!.headers;
  return send(`${stack.relayd.url}/v1/tests/${runId}`, { headers, body: capturedFinish!.body });
}

describe('multipart create while the cloud is down', () => {
  const stack = useRelaydStack({}, {}, { start: beforeEach, stop: afterEach });

  it('answers with a provisional id, keeps the archive on disk, and later creates the run unchanged with every push under the cloud id', async () => {
    await stack.emulator.down();
    const created = await createMultipart(stack);
    assert.equal(created.status, 200);
    const provisional = referenceOf(created);
    assert.match(provisional, PROVISIONAL);

    const [file, ...others] = await bodyFiles(stack);
    assert.equal(others.length, 0, 'one body file');
    assert.ok((await readFile(`${stack.relayd.daemon.queue.bodyFiles.dir}/${file}`)).equals(MULTIPART_CAPTURE.body), 'the body as received, on disk');

    for (let i = 0; i < 3; i++) assert.equal((await pushFor(stack, provisional)).status, 200);
    assert.equal((await finishFor(stack, provisional)).status, 200);

    await stack.emulator.up();
    await eventually(() => [...stack.emulator.runs.values()].some((run) => run.finish !== undefined), 15_000, 'the run and its finish in the cloud');
    const [cloudRun] = [...stack.emulator.runs.values()];
    assert.ok(cloudRun);
    assert.equal(upstreamCreates(stack).length, 1);
    assert.ok(cloudRun.create.body.equals(MULTIPART_CAPTURE.body), 'the multipart create arrives byte for byte');
    for (const header of KEPT_HEADERS) assert.equal(cloudRun.create.headers[header], MULTIPART_CAPTURE.headers[header], `the create keeps ${header}`);
    assert.equal(cloudRun.create.headers['content-length'], MULTIPART_CAPTURE.headers['content-length'], 'sent with its length, not chunked');

    assert.equal(cloudRun.pushes.length, 3);
    for (const push of cloudRun.pushes) {
      assert.equal(push.path, `/v2/metrics/${cloudRun.id}`);
      assert.equal(decodeMetricSet(snappyUncompressBounded(push.body, 1 << 24)).testRunId, cloudRun.id, 'test_run_id remapped');
    }
    assert.equal(cloudRun.finish!.path, `/v1/tests/${cloudRun.id}`);
    assert.equal(stack.relayd.daemon.runs.get(provisional)?.record.upstreamId, cloudRun.id);
    await eventually(async () => (await bodyFiles(stack)).length === 0, 5000, 'the body file deleted once the create was delivered');
  });
});

describe('multipart create whose archive file was deleted by hand', () => {
  const stack = useRelaydStack();

  it('becomes a dead letter and its run is rejected at the next start, instead of being retried for ever', async () => {
    await stack.emulator.down();
    const created = await createMultipart(stack);
    assert.equal(created.status, 200);
    const runId = referenceOf(created);
    const dir = stack.relayd.daemon.queue.bodyFiles.dir;
    await stack.relayd.close();
    for (const file of await readdir(dir)) await rm(join(dir, file));
    stack.relayd = await startInProcess(testOptions(stack.emulator.url, dirname(dir)));
    await stack.emulator.up();
    const run = stack.relayd.daemon.runs.get(runId)!;
    await eventually(() => run.record.state === 'rejected', 10_000, 'the run rejected');
    assert.match(run.record.lastError ?? '', /body file .* is missing/);
    assert.equal(stack.relayd.daemon.queue.totals().deadLetters, 1);
    assert.equal(upstreamCreates(stack).length, 0, 'nothing was sent');
  });
});

describe("k6's create retries: one run", () => {
  const stack = useRelaydStack({}, {}, { start: beforeEach, stop: afterEach });

  const variants = [
    { kind: 'multipart', headers: () => capturedCreateHeaders({ 'k6-idempotency-key': randomBytes(8).toString('hex') }), body: MULTIPART_CAPTURE.body },
    {
      kind: 'JSON',
      headers: () => {
        const { host: _host, 'content-length': _length, ...headers } = JSON_CREATE.headers;
        return { ...headers, 'k6-idempotency-key': randomBytes(8).toString('hex') };
      },
      body: JSON_CREATE.body,
    },
  ];

  for (const variant of variants) {
    it(`${variant.kind}: three attempts (one while the first waits for a slow cloud, one after its answer was lost) give one run`, async () => {
      const headers = variant.headers();
      stack.emulator.setFault({ kind: 'slow', delayMs: 1200, only: 'create', count: 1 });
      // Attempt 1: k6 gives up on it (its timeout) before relayd answers; relayd carries on.
      const lost = request(`${stack.relayd.url}/v1/tests`, { method: 'POST', headers: { ...headers, 'content-length': String(variant.body.length) }, agent: false });
      lost.on('error', () => undefined);
      lost.end(variant.body);
      await eventually(() => upstreamCreates(stack).length === 1, 5000, 'the first attempt to reach the cloud');
      lost.destroy();
      // Attempt 2 while the first still waits for the cloud, attempt 3 after that.
      const second = await send(`${stack.relayd.url}/v1/tests`, { headers, body: variant.body });
      const third = await send(`${stack.relayd.url}/v1/tests`, { headers, body: variant.body });
      assert.deepEqual([second.status, third.status], [200, 200]);
      assert.equal(referenceOf(second), '1234');
      assert.equal(referenceOf(third), '1234');
      assert.equal(upstreamCreates(stack).length, 1, 'one create reached the cloud');
      assert.equal(stack.emulator.runs.size, 1);
      assert.deepEqual(stack.relayd.daemon.runs.list().map((run) => run.record.id), ['1234']);
      assert.deepEqual(await bodyFiles(stack), [], 'no body file left: the run was created at once');
    });

    it(`${variant.kind}: with the cloud down, the attempts share one provisional id and one queued create`, async () => {
      const headers = variant.headers();
      await stack.emulator.down();
      const attempts = [];
      // The first answer is lost on the way to k6: it sends the same bytes again, twice.
      for (let i = 0; i < 3; i++) attempts.push(await send(`${stack.relayd.url}/v1/tests`, { headers, body: variant.body }));
      assert.deepEqual(attempts.map((a) => a.status), [200, 200, 200]);
      const ids = new Set(attempts.map(referenceOf));
      assert.equal(ids.size, 1, 'one id for the three attempts');
      const [provisional] = [...ids] as [string];
      assert.match(provisional, PROVISIONAL);
      assert.equal(stack.relayd.daemon.runs.list().length, 1);
      assert.equal(stack.relayd.daemon.queue.backlog(provisional).items, 1, 'one queued create');
      assert.equal((await bodyFiles(stack)).length, variant.kind === 'multipart' ? 1 : 0);

      assert.equal((await finishFor(stack, provisional)).status, 200);
      await stack.emulator.up();
      await eventually(() => stack.emulator.runs.get('1234')?.finish !== undefined, 15_000, 'the run finished in the cloud');
      assert.equal(upstreamCreates(stack).length, 1, 'one create reached the cloud');
      assert.ok(stack.emulator.runs.get('1234')!.create.body.equals(variant.body));
    });
  }
});

describe('bad multipart creates', () => {
  const stack = useRelaydStack({ 'max-create-size': '64KiB' });
  const post = (body: Buffer, contentType = `multipart/form-data; boundary=${CAPTURED_BOUNDARY}`, framing: 'chunked' | 'content-length' = 'content-length') =>
    send(`${stack.relayd.url}/v1/tests`, { headers: capturedCreateHeaders({ 'content-type': contentType, 'k6-idempotency-key': randomBytes(8).toString('hex') }), body, framing });
  const withParts = (change: (parts: ReturnType<typeof k6Parts>) => ReturnType<typeof k6Parts>) => post(multipartBody(change(k6Parts())));
  const big = multipartBody(k6Parts(Buffer.concat([capturedArchive(), Buffer.alloc(100 * 1024)])));

  const cases: [string, () => Promise<SendResult>, number, string, RegExp][] = [
    ['no boundary in the Content-Type', () => post(MULTIPART_CAPTURE.body, 'multipart/form-data'), 400, 'RELAYD_BAD_CREATE', /boundary/],
    ['another boundary than the body has', () => post(MULTIPART_CAPTURE.body, 'multipart/form-data; boundary=0123456789'), 400, 'RELAYD_BAD_CREATE', /not a complete multipart body/],
    ['a truncated body', () => post(MULTIPART_CAPTURE.body.subarray(0, 3000)), 400, 'RELAYD_BAD_CREATE', /not a complete multipart body/],
    ['a body cut before its closing boundary', () => post(MULTIPART_CAPTURE.body.subarray(0, MULTIPART_CAPTURE.body.length - 8)), 400, 'RELAYD_BAD_CREATE', /not a complete multipart body/],
    ['a file part that is not a tar', () => withParts((parts) => [...parts.slice(0, 4), { name: 'file', value: randomBytes(2048), filename: 'archive.tar' }]), 400, 'RELAYD_BAD_CREATE', /not a tar/],
    ['a file part shorter than a tar header', () => withParts((parts) => [...parts.slice(0, 4), { name: 'file', value: Buffer.from('tiny'), filename: 'archive.tar' }]), 400, 'RELAYD_BAD_CREATE', /not a tar/],
    ['no file part', () => withParts((parts) => parts.slice(0, 4)), 400, 'RELAYD_BAD_CREATE', /"file" part/],
    ['no name part', () => withParts((parts) => parts.slice(1)), 400, 'RELAYD_BAD_CREATE', /"name" part/],
    ['vus that is not a number', () => withParts((parts) => parts.map((p) => (p.name === 'vus' ? { ...p, value: 'many' } : p))), 400, 'RELAYD_BAD_CREATE', /vus/],
    ['two file parts', () => withParts((parts) => [...parts, parts[4]!]), 400, 'RELAYD_BAD_CREATE', /more than one file part/],
    ['a body over --max-create-size (Content-Length)', () => post(big), 413, 'RELAYD_BODY_TOO_LARGE', /max-create-size/],
    ['a body over --max-create-size (chunked)', () => post(big, undefined, 'chunked'), 413, 'RELAYD_BODY_TOO_LARGE', /max-create-size/],
  ];

  for (const [what, attempt, status, code, message] of cases) {
    it(`answers ${status} ${code} to ${what}, stores nothing and keeps serving`, async () => {
      const response = await attempt();
      assert.equal(response.status, status);
      const { error } = JSON.parse(response.body.toString()) as { error: { code: number; message: string; details: { relayd_code: string[] } } };
      assert.equal(error.code, status, 'k6 prints (status/Estatus) message');
      assert.deepEqual(error.details.relayd_code, [code]);
      assert.match(error.message, message);
      assert.deepEqual(await bodyFiles(stack), [], 'no body file left');
      assert.equal(stack.relayd.daemon.runs.list().length, 0, 'no run');
      assert.equal(stack.relayd.daemon.queue.totals().items, 0, 'nothing queued');
      assert.equal(upstreamCreates(stack).length, 0, 'nothing sent to the cloud');
      assert.equal((await fetch(`${stack.relayd.url}/healthz`)).status, 200);
    });
  }

  it('takes a good multipart create after all that', async () => {
    await sleep(10);
    const created = await createMultipart(stack);
    assert.equal(created.status, 200);
    assert.equal(referenceOf(created), '1234');
    assert.ok(stack.emulator.runs.get('1234')!.create.body.equals(MULTIPART_CAPTURE.body));
  });
});
