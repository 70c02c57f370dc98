// What a validation task carries, and the last step of validating an API v1 push (the tag limit).
// Imported by the validation threads, so it imports nothing that loads the snappy binding (see
// protocol/snappy.ts): v1.ts directly, not the protocol barrel.
import type { PushProtocol } from '../queue/index.js';
import type { DecodedV1Push } from '../protocol/v1.js';
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

/** The push's sample count (its envelopes), once its tags are within the limit. */
export function v1Samples(decoded: DecodedV1Push, maxTags: number): number {
  checkV1Tags(decoded.envelopes, maxTags);
  return decoded.samples;
}
