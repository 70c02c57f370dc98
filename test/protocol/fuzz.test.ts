// Mutation fuzzing of every decoder: whatever the bytes, a decoder returns or throws a
// RelaydError, never anything else (a TypeError would become a 500 instead of a 400).
// Seeded, so a failure reproduces; raise ROUNDS locally for a longer run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRelaydError } from '../../src/errors.js';
import {
  decodeCreateBody,
  decodeFinishBody,
  decodeMetricSet,
  decodeV1Push,
  decodeV2Push,
  rewriteTestRunId,
  snappyUncompressBounded,
} from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, FIXTURE_RUN_ID, type FixtureRequest, loadFixture } from '../emulator/fixtures.js';

const ROUNDS = 300;
const limits = { maxDecompressedBytes: 1024 * 1024 };
const fixtures = FIXTURE_FOLDERS.flatMap((folder) => loadFixture(folder));

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of: flip a few bytes, truncate, duplicate a slice, or splice in random bytes. */
function mutate(input: Uint8Array, random: () => number): Buffer {
  const bytes = Buffer.from(input);
  const at = Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 4)) {
    case 0:
      for (let i = 0; i < 1 + random() * 4; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      return bytes;
    case 1:
      return bytes.subarray(0, at);
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.floor(random() * at))]);
    default:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 8 }, () => Math.floor(random() * 256))), bytes.subarray(at)]);
  }
}

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
});
