// Mutation fuzzing of every decoder: whatever the bytes, a decoder returns or throws a
// RelaydError, never anything else (a TypeError would become a 500 instead of a 400).
// Seeded, so a failure reproduces; raise ROUNDS locally for a longer run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRelaydError } from '../../src/errors.js';
import {
  decodeClientMessage,
  decodeCreateBody,
  decodeFinishBody,
  decodeMetricSet,
  decodeV1Push,
  decodeV2Push,
  rewriteTestRunId,
  snappyUncompressBounded,
} from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, FIXTURE_RUN_ID, type FixtureRequest, loadFixture } from '../emulator/fixtures.js';
import { mutate, prng } from '../helpers/mutation.js';

// Tens of thousands of cases in all (ROUNDS per decoder); test/reliability/fuzz-daemon.test.ts sends
// mutated bodies through the live daemon's endpoints.
const ROUNDS = 3000;
const limits = { maxDecompressedBytes: 1024 * 1024 };
const fixtures = FIXTURE_FOLDERS.flatMap((folder) => loadFixture(folder));

async function assertOnlyRelaydErrors(seeds: Uint8Array[], decode: (body: Buffer) => unknown): Promise<void> {
  const random = prng(0x6b36);
  for (let round = 0; round < ROUNDS; round++) {
    const body = mutate(seeds[round % seeds.length]!, random);
    try {
      await decode(body);
    } catch (err) {
      assert.ok(isRelaydError(err), `round ${round} (${body.toString('hex').slice(0, 80)}…) threw ${String(err)}`);
    }
  }
}

function bodiesOf(kind: FixtureRequest['route']['kind']): Buffer[] {
  return fixtures.filter((fixture) => fixture.route.kind === kind).map((fixture) => fixture.body);
}

describe('decoders under mutated input', () => {
  it('decodeV1Push throws only RelaydErrors for mutated gzip bodies', async () => {
    await assertOnlyRelaydErrors(bodiesOf('v1-push'), (body) => decodeV1Push(body, 'gzip', limits));
  });

  it('decodeV1Push throws only RelaydErrors for mutated JSON that still inflates', async () => {
    const json = bodiesOf('v1-push').map((body) => gunzipSync(body));
    await assertOnlyRelaydErrors(json, (body) => decodeV1Push(gzipSync(body), 'gzip', limits));
  });

  it('decodeV2Push throws only RelaydErrors for mutated snappy bodies', async () => {
    await assertOnlyRelaydErrors(bodiesOf('v2-push'), (body) => decodeV2Push(body, 'snappy', FIXTURE_RUN_ID, limits));
  });

  it('decodeMetricSet and rewriteTestRunId throw only RelaydErrors for mutated protobuf', async () => {
    const pbs = bodiesOf('v2-push').map((body) => snappyUncompressBounded(body, 1 << 24));
    await assertOnlyRelaydErrors(pbs, (pb) => decodeMetricSet(pb));
    await assertOnlyRelaydErrors(pbs, (pb) => rewriteTestRunId(pb, '42'));
  });

  it('decodeCreateBody and decodeFinishBody throw only RelaydErrors for mutated JSON', async () => {
    await assertOnlyRelaydErrors(bodiesOf('create'), decodeCreateBody);
    await assertOnlyRelaydErrors(bodiesOf('finish'), decodeFinishBody);
  });

  it('decodeClientMessage (the WebSocket stream) throws only RelaydErrors for mutated messages', async () => {
    const messages = [
      { type: 'create', name: 'fuzz', vus: 2, duration: 60, thresholds: { http_req_duration: ['p(95)<500'] }, protocol: 'v2' },
      { type: 'resume', runId: '1234' },
      {
        type: 'batch',
        seq: 3,
        samples: [
          { metric: 'http_req_duration', type: 'trend', time: 1700000001123.456, tags: { status: '200', method: 'GET' }, value: 40.35 },
          { metric: 'vus', type: 'gauge', time: 1700000001000, value: 10 },
        ],
      },
      { type: 'finish', runStatus: 3, resultStatus: 0 },
    ].map((message) => Buffer.from(JSON.stringify(message)));
    await assertOnlyRelaydErrors(messages, (data) => decodeClientMessage(data, 16));
  });
});
