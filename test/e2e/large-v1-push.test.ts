// Large API v1 pushes through a real relayd with the default limits, on validation threads and on the
// event loop: k6's largest real push (100,000 entries, 33 MiB of JSON, walked envelope by envelope and
// transferred to a thread and back) is accepted and delivered byte for byte with its sample count;
// large malformed ones are refused with a clear 4xx, and relayd keeps serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { v1Body } from '../../bench/payloads.js';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { send, type SendResult } from '../emulator/send.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const MiB = 1024 * 1024;
const largest = v1Body({ requests: 40_000, seed: 7, startMicros: Date.UTC(2026, 0, 1) * 1000 });
const envelopes = JSON.parse(gunzipSync(largest.body).toString()) as unknown[];

function errorOf(response: SendResult): { message: string; details: { relayd_code: string[] } } {
  return (JSON.parse(response.body.toString()) as { error: { message: string; details: { relayd_code: string[] } } }).error;
}

for (const threads of ['1', '0']) {
  describe(`large v1 pushes (--validation-threads ${threads})`, () => {
    const stack = useRelaydStack({ 'validation-threads': threads });
    let runner: ScriptedRunner;
    before(async () => {
      runner = new ScriptedRunner(stack.relayd.url);
      assert.equal((await runner.create()).status, 200);
    });

    const push = (body: Buffer, encoding: string | null = 'gzip') =>
      send(`${stack.relayd.url}/v1/metrics/${runner.runId}`, {
        headers: { 'user-agent': 'k6cloud/0.48.0', authorization: 'Token t', 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) },
        body,
        framing: 'chunked',
      });

    it("accepts k6's largest v1 push and delivers it byte for byte with its sample count", async () => {
      assert.ok(largest.rawBytes > 30 * MiB && largest.samples > 100_000);
      assert.ok(largest.body.length >= PUSH_BODY_FILE_BYTES, 'queued in a body file, sent from it');
      assert.equal((await push(largest.body)).status, 200);
      const run = stack.emulator.runs.get(runner.runId)!;
      await eventually(() => run.pushes.length === 1, 20_000, 'the delivery');
      assert.ok(run.pushes[0]!.body.equals(largest.body));
      assert.equal(run.pushes[0]!.samples, largest.samples);
      const bodies = join(stack.relayd.dataDir, 'bodies');
      await eventually(async () => (await readdir(bodies)).length === 0, 5000, 'the body file deleted once delivered');
      const { ledger } = stack.relayd.daemon.runs.get(runner.runId)!;
      assert.deepEqual(ledger.delivered, ledger.persisted, 'the ledger counts the body kept in its file as delivered');
      assert.equal(ledger.delivered.bytes, largest.body.length);
    });

    it('refuses large malformed bodies with a 4xx that says what is wrong', async () => {
      const badLast = gzipSync(JSON.stringify([...envelopes, { type: 'Point', metric: 'vus', data: { time: 'soon' } }]));
      const refused: [Buffer, string | null, number, string, RegExp][] = [
        [badLast, 'gzip', 400, 'RELAYD_BAD_V1_PAYLOAD', new RegExp(`\\[${envelopes.length}\\]\\.data\\.time: expected a string of decimal digits`)],
        [gzipSync(`["${'x'.repeat(20 * MiB)}"]`), 'gzip', 400, 'RELAYD_BAD_V1_PAYLOAD', /\[0\]: expected an envelope of at most 1048576 bytes/],
        [gzipSync(Buffer.alloc(65 * MiB)), 'gzip', 413, 'RELAYD_DECOMPRESSED_TOO_LARGE', /.+/],
        [randomBytes(12 * MiB), null, 400, 'RELAYD_BAD_JSON', /invalid UTF-8/],
        [Buffer.from(`{"a":"${'y'.repeat(12 * MiB)}"}`), null, 400, 'RELAYD_BAD_V1_PAYLOAD', /expected a JSON array of samples, got an object/],
      ];
      for (const [body, encoding, status, code, message] of refused) {
        const response = await push(body, encoding);
        assert.equal(response.status, status, response.body.toString());
        const error = errorOf(response);
        assert.deepEqual(error.details.relayd_code, [code]);
        assert.match(error.message, message);
      }
      assert.equal((await fetch(`${stack.relayd.url}/healthz`)).status, 200);
      assert.equal((await push(gzipSync(JSON.stringify(envelopes.slice(0, 10))))).status, 200);
    });
  });
}
