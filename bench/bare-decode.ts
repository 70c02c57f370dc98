// The CPU limit of reading a push, measured in this process on one core: the bare decompression and
// parse of the same bodies relayd receives, with no HTTP, no validation and no storage.
//  - v1: gunzip + JSON.parse (what any v1 receiver must at least do);
//  - v2: snappy uncompress + protobuf decode to objects (src/protocol decodeMetricSet, the decoder
//    relayd uses, without its validation).
import { gunzipSync } from 'node:zlib';
import { decodeMetricSet, snappyUncompressBounded } from '../src/protocol/index.js';
import { type LoadResult, LoadRecorder } from './arrivals.js';
import type { PushBody } from './payloads.js';

function decodeLoop(bodies: readonly PushBody[], seconds: number, decode: (body: Buffer) => unknown): LoadResult {
  const recorder = new LoadRecorder();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  for (let n = 0; performance.now() < deadline; n++) {
    const body = bodies[n % bodies.length]!;
    const startedAt = performance.now();
    decode(body.body);
    recorder.done(body, startedAt);
  }
  return recorder.result((performance.now() - start) / 1000);
}

export function bareV1Parse(bodies: readonly PushBody[], seconds: number): LoadResult {
  return decodeLoop(bodies, seconds, (body) => JSON.parse(gunzipSync(body).toString('utf8')));
}

export function bareV2Decode(bodies: readonly PushBody[], seconds: number): LoadResult {
  return decodeLoop(bodies, seconds, (body) => decodeMetricSet(snappyUncompressBounded(body, 1 << 30)));
}
