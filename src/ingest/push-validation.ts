// Validation of an API v1 push: inflate with its limits, parse, check the envelopes and the tag
// limit, count the samples. Runs on a validation thread (or on the event loop with
// --validation-threads 0), so it imports nothing that loads the snappy binding (see
// protocol/snappy.ts): v1.ts directly, not the protocol barrel.
import type { PushProtocol } from '../queue/index.js';
import { decodeV1Push } from '../protocol/v1.js';
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

/** The push's sample count (its envelopes). */
export async function validateV1Push(push: PushToValidate): Promise<number> {
  const { envelopes, samples } = await decodeV1Push(push.body, push.contentEncoding, push.limits);
  checkV1Tags(envelopes, push.limits.maxTags);
  return samples;
}
