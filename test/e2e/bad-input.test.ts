// Bad input on every endpoint gets a 4xx with a clear JSON error; relayd keeps serving and what it
// accepted before is delivered untouched.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { loadFixture } from '../emulator/fixtures.js';
import { send, type SendResult } from '../emulator/send.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const v1Push = loadFixture('v1').find((c) => c.route.kind === 'v1-push')!;
const v2Push = loadFixture('v2').find((c) => c.route.kind === 'v2-push')!;

interface ErrorBody {
  error: { code: number; message: string; details: { relayd_code: string[] } };
}

function errorOf(response: SendResult): ErrorBody['error'] {
  assert.equal(response.headers['content-type'], 'application/json');
  return (JSON.parse(response.body.toString()) as ErrorBody).error;
}

describe('bad input', () => {
  let runner: ScriptedRunner;

  const stack = useRelaydStack({ 'max-body-size': '256KiB', 'max-decompressed-size': '8MiB' });
  before(async () => {
    runner = new ScriptedRunner(stack.relayd.url);
    await runner.create();
    assert.equal((await runner.push()).status, 200, 'a good push accepted before the bad ones');
  });

  const post = (path: string, body: Buffer, headers: Record<string, string>, framing: 'chunked' | 'content-length' = 'chunked') =>
    send(stack.relayd.url + path, { headers: { 'user-agent': 'k6cloud/0.48.0', ...headers }, body, framing });
  const v1 = (body: Buffer, encoding: string | null = 'gzip', framing?: 'chunked' | 'content-length') =>
    post(`/v1/metrics/${runner.runId}`, body, { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) }, framing);
  const v2 = (body: Buffer) =>
    post(`/v2/metrics/${runner.runId}`, body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'k6-metrics-protocol-version': '2.0' });

  const cases: [string, () => Promise<SendResult>, number, string, RegExp][] = [
    ['truncated gzip', () => v1(v1Push.body.subarray(0, v1Push.body.length / 2)), 400, 'RELAYD_BAD_GZIP', /gzip/],
    ['invalid JSON', () => v1(gzipSync('[{"type": "Point", oops')), 400, 'RELAYD_BAD_JSON', /JSON/],
    ['JSON of the wrong shape', () => v1(gzipSync('{"metric":"vus"}')), 400, 'RELAYD_BAD_V1_PAYLOAD', /v1/],
    ['an unknown Content-Encoding', () => v1(v1Push.body, 'br'), 415, 'RELAYD_UNSUPPORTED_ENCODING', /br/],
    ['a decompression bomb', () => v1(gzipSync(Buffer.alloc(64 * 1024 * 1024))), 413, 'RELAYD_DECOMPRESSED_TOO_LARGE', /limit|larger/],
    ['an oversize body (Content-Length)', () => v1(randomBytes(300 * 1024), 'gzip', 'content-length'), 413, 'RELAYD_BODY_TOO_LARGE', /larger than the limit/],
    ['an oversize body (chunked)', () => v1(randomBytes(300 * 1024), 'gzip', 'chunked'), 413, 'RELAYD_BODY_TOO_LARGE', /larger than the limit/],
    ['garbage snappy', () => v2(Buffer.from([0x06, 0x02, 0x00, 0x00])), 400, 'RELAYD_BAD_SNAPPY', /snappy/],
    ['snappy claiming a huge length', () => v2(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00])), 413, 'RELAYD_DECOMPRESSED_TOO_LARGE', /larger/],
    ['garbage protobuf', () => v2(snappyCompress(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f, 0x01]))), 400, 'RELAYD_BAD_PROTOBUF', /protobuf/],
    ['a MetricSet of another run', () => v2(snappyCompress(rewriteTestRunId(snappyUncompressBounded(v2Push.body, 1 << 24), '777'))), 400, 'RELAYD_BAD_V2_PAYLOAD', /test_run_id/],
    // Unknown cloud ids are adopted (test/e2e/adopted-runs.test.ts); an unknown provisional id cannot be.
    ['an unknown run id', () => post('/v2/metrics/90000000000005555', Buffer.from('x'), {}), 404, 'RELAYD_UNKNOWN_RUN', /90000000000005555/],
    ['an unknown run id on finish', () => post('/v1/tests/90000000000005555', Buffer.from('{}'), {}), 404, 'RELAYD_UNKNOWN_RUN', /90000000000005555/],
    ['an invalid create', () => post('/v1/tests', Buffer.from('{"vus": "many"}'), { 'content-type': 'application/json' }), 400, 'RELAYD_BAD_CREATE', /create/],
    ['create JSON that does not parse', () => post('/v1/tests', Buffer.from('{"name":'), {}), 400, 'RELAYD_BAD_JSON', /JSON/],
    ['an invalid finish', () => post(`/v1/tests/${runner.runId}`, Buffer.from('{"run_status": "done"}'), {}), 400, 'RELAYD_BAD_FINISH', /finish/],
    ['an unknown path', () => post('/v3/metrics/1', Buffer.from('x'), {}), 404, 'RELAYD_NOT_FOUND', /no such endpoint/],
  ];

  for (const [what, request, status, code, message] of cases) {
    it(`answers ${status} ${code} to ${what} and keeps serving`, async () => {
      const response = await request();
      assert.equal(response.status, status);
      const error = errorOf(response);
      assert.deepEqual(error.details.relayd_code, [code]);
      assert.match(error.message, message);
      const health = await fetch(`${stack.relayd.url}/healthz`);
      assert.equal(health.status, 200);
    });
  }

  it('still delivers what it accepted before the bad input, and takes good input after it', async () => {
    assert.equal((await runner.push()).status, 200);
    assert.equal((await runner.finish()).status, 200);
    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 10_000, 'the finish');
    assert.deepEqual(run.pushes.map((push) => push.idempotencyKey).sort(), [...runner.acked].sort());
  });
});
