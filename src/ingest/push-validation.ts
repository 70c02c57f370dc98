// What a validation task carries, and how an API v1 push is validated wherever that runs (a
// validation thread or the event loop): the protocol's checks, the tag limit and the results digest,
// envelope by envelope, so that a large push is never held parsed all at once (protocol/v1.ts).
// Imported by the validation threads, so it imports nothing that loads the snappy binding (see
// protocol/snappy.ts): v1.ts directly, not the protocol barrel.
import type { PushProtocol } from '../queue/index.js';
import { walkV1Push } from '../protocol/v1.js';
import { addV1Envelope, type PushDigest } from '../results/digest.js';
import { checkV1Tags } from './tag-limit.js';

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

/** The push's sample count (its envelopes) and its results digest; a RelaydError refuses it. */
export async function validateV1Push(
  push: PushToValidate,
  inflateWhole?: Parameters<typeof walkV1Push>[4],
): Promise<{ readonly samples: number; readonly digest: PushDigest }> {
  const digest: PushDigest = { seconds: {} };
  const samples = await walkV1Push(
    push.body,
    push.contentEncoding,
    push.limits,
    (envelope, index) => {
      checkV1Tags(envelope, index, push.limits.maxTags);
      addV1Envelope(digest, envelope);
    },
    inflateWhole,
  );
  return { samples, digest };
}
