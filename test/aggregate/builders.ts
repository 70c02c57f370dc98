// Plain inputs shared by the aggregation tests.

import type { HttpTrail, V1Envelope, V1PointsEnvelope } from '../../src/aggregate/index.js';
import { loadFixture, type FixtureFolder } from '../emulator/fixtures.js';

/** §5.4 legacy defaults, as the v1-aggr-override capture's create response set them. */
export { LEGACY_V1_SETTINGS } from '../../src/aggregate/index.js';

/** A 1 ms request over a fresh 0.1 ms connection, ending 10 s after the epoch (bucket 3 at P = 3 s). */
export function trail(overrides: Partial<HttpTrail> = {}): HttpTrail {
  return {
    endTimeUs: 10_000_000,
    durationNs: 1_000_000,
    blockedNs: 0,
    connectingNs: 100_000,
    tlsHandshakingNs: 0,
    sendingNs: 10_000,
    waitingNs: 980_000,
    receivingNs: 10_000,
    failed: false,
    ...overrides,
  };
}

/** A deterministic pseudo-random sequence in [0, 1) (Numerical Recipes LCG), for generated inputs. */
export function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Every envelope of every API v1 push in a capture folder, in push order. */
export function capturedV1Envelopes(folder: FixtureFolder): V1Envelope[] {
  return loadFixture(folder)
    .filter((request) => request.route.kind === 'v1-push')
    .flatMap((request) => request.decoded as V1Envelope[]);
}

export function isHttpReqPoints(envelope: V1Envelope): envelope is V1PointsEnvelope {
  return envelope.type === 'Points' && envelope.metric === 'http_req_li_all';
}
