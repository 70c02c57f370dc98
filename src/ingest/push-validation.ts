// What a validation task carries, and how a push is validated wherever that runs (a validation
// thread or the event loop): the protocol's checks, the tag limit and the results digest. A v1 push
// envelope by envelope, so that a large push is never held parsed all at once (protocol/v1.ts); a
// v2 push's MetricSet once decompressed (on the event loop: protocol/v2-body.ts).
// Imported by the validation threads, so it imports nothing that loads the snappy binding (see
// protocol/snappy.ts): v1.ts and v2-digest.ts (v2-scan.ts) directly, not the protocol barrel.
import type { PushProtocol } from '../queue/index.js';
import { walkV1Push } from '../protocol/v1.js';
import { type PushDigest, V1Digester } from '../results/digest.js';
import { scanAndDigest } from '../results/v2-digest.js';
import { checkV1Tags, checkV2Labels } from './tag-limit.js';

export interface ValidationLimits {
  readonly maxDecompressedBytes: number;
  readonly maxTags: number;
}

export interface PushToValidate {
  readonly protocol: PushProtocol;
  /** The run of the URL: a v2 MetricSet must carry it. */
  readonly runId: string;
  readonly body: Uint8Array;
  readonly contentEncoding: string | undefined;
  readonly limits: ValidationLimits;
}

/** A v2 push as a validation thread takes it: its MetricSet, decompressed (and transferred) by the event loop. */
export interface MetricSetToValidate {
  readonly protocol: 'v2';
  readonly runId: string;
  readonly metricSet: Uint8Array;
  readonly maxTags: number;
}

export interface Validated {
  readonly samples: number;
  /** Absent when the results cannot read the push (v2-digest.ts scanAndDigest): the engine then logs it and leaves it out. */
  readonly digest: PushDigest | undefined;
}

/** The MetricSet's value count and its results digest (v2-digest.ts), in one walk; a RelaydError refuses it. */
export function validateMetricSet({ metricSet, runId, maxTags }: MetricSetToValidate): Validated {
  const { scan, digest } = scanAndDigest(metricSet, runId);
  checkV2Labels(scan.mostLabels, maxTags);
  return { samples: scan.samples, digest };
}

/** The push's sample count (its envelopes) and its results digest; a RelaydError refuses it. */
export async function validateV1Push(
  push: PushToValidate,
  inflateWhole?: Parameters<typeof walkV1Push>[4],
): Promise<{ readonly samples: number; readonly digest: PushDigest }> {
  const digester = new V1Digester();
  try {
    const samples = await walkV1Push(
      push.body,
      push.contentEncoding,
      push.limits,
      (envelope, index) => {
        checkV1Tags(envelope, index, push.limits.maxTags);
        digester.add(envelope);
      },
      inflateWhole,
    );
    return { samples, digest: digester.finish() };
  } finally {
    digester.release();
  }
}
