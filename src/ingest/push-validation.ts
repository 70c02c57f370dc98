// Validation of one metric push (v1 or v2): decompress with its limits, decode or scan, check the
// tag limit, count the samples. Pure apart from decompression; runs on a validation thread or,
// with --validation-threads 0, on the event loop. Throws RelaydError with the same codes either way.
import type { PushProtocol } from '../queue/index.js';
import { decodeV1Push, scanV2Push } from '../protocol/index.js';
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

/** The push's sample count (v1: envelopes; v2: time series values). */
export async function validatePush(push: PushToValidate): Promise<number> {
  const { body, contentEncoding, limits } = push;
  if (push.protocol === 'v1') {
    const { envelopes, samples } = await decodeV1Push(body, contentEncoding, limits);
    checkV1Tags(envelopes, limits.maxTags);
    return samples;
  }
  const { samples, mostLabels } = await scanV2Push(body, contentEncoding, push.runId, limits);
  checkV2Labels(mostLabels, limits.maxTags);
  return samples;
}
