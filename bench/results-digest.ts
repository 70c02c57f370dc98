// `npx tsx bench/results-digest.ts`: what the run results (src/results) cost per push, next to what
// ingest already spends reading the same push, in this process on one core. Prints medians (ms) over
// the bench payloads: v2 pushes of 1000 series, v1 pushes of 2000 requests.
//  - v2: the validation's wire walk alone vs the same walk making the results digest on the way
//    (v2-digest.ts scanAndDigest, as ingest runs it on a validation thread) vs a full protobufjs
//    decode (what the walk avoids);
//  - v1: gunzip + JSON.parse + validation (ingest, on a validation thread) vs the digest the thread
//    makes of the parsed envelopes (digest.ts);
//  - both: merging one push's digest into a run's state (run-state.ts, on the event loop).
import { gunzipSync } from 'node:zlib';
import { decodeMetricSet, decodeV1Push, scanMetricSet, snappyUncompressBounded } from '../src/protocol/index.js';
import { digestV1, type PushDigest } from '../src/results/digest.js';
import { RunResultsState } from '../src/results/run-state.js';
import { digestMetricSet, scanAndDigest } from '../src/results/v2-digest.js';
import { v1Bodies, v2Bodies } from './payloads.js';

function median(run: (i: number) => unknown, rounds: number): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    run(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[rounds >> 1] as number;
}

const line = (name: string, ms: number, base?: number): string =>
  `${name.padEnd(48)} ${ms.toFixed(2).padStart(8)} ms${base === undefined ? '' : `  (${(ms / base).toFixed(2)}x)`}`;

const v2 = v2Bodies('1234', 24)
  .filter((_, i) => i % 4 !== 3)
  .map((push) => snappyUncompressBounded(push.body, 1 << 30));
const v1 = v1Bodies(12, 2000);
const limits = { maxDecompressedBytes: 1 << 30 };
const ROUNDS = 60;

const scan = median((i) => scanMetricSet(v2[i % v2.length]!, '1234'), ROUNDS);
const walk = median((i) => scanAndDigest(v2[i % v2.length]!, '1234'), ROUNDS);
const decode = median((i) => decodeMetricSet(v2[i % v2.length]!), 10);
const v1Parse = median((i) => JSON.parse(gunzipSync(v1[i % v1.length]!.body).toString('utf8')), ROUNDS);
const envelopes = await Promise.all(v1.map(async (push) => (await decodeV1Push(push.body, 'gzip', limits)).envelopes));
const v1Digest = median((i) => digestV1(envelopes[i % envelopes.length]!), ROUNDS);
const digests: PushDigest[] = [...v2.map((pb) => digestMetricSet(pb)), ...envelopes.map((list) => digestV1(list))];
const state = RunResultsState.empty('bench');
const merge = median((i) => state.add(digests[i % digests.length]!), ROUNDS);
const core = JSON.stringify(state.core).length;

process.stdout.write(
  [
    `v2 push, ${v2[0]!.length} bytes of protobuf (1000 series):`,
    line('  ingest: validation wire walk alone', scan),
    line('  ingest + results: the walk making the digest', walk, scan),
    line('  (full protobufjs decode, not used)', decode, scan),
    `v1 push, 2000 requests:`,
    line('  ingest: gunzip + JSON.parse (validation thread)', v1Parse),
    line('  results: digest on the same thread', v1Digest, v1Parse),
    `either:`,
    line('  results: merge a digest into the run (event loop)', merge),
    `  persisted run core after ${ROUNDS} merges: ${core} bytes`,
    '',
  ].join('\n'),
);
