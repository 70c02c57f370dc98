// An API v2 push body as ingest takes it: its encoding checked and its snappy block decompressed
// within the limit, then scanned (v2-scan.ts). Event loop only, as the snappy binding (snappy.ts).
import { RelaydError } from '../errors.js';
import { type DecodeLimits, normaliseContentEncoding } from './compression.js';
import { snappyUncompressBounded } from './snappy.js';
import { scanMetricSet, type V2Scan } from './v2-scan.js';

/** The MetricSet's protobuf bytes: a RelaydError for another encoding, a bad block or one past the limit. */
export function decompressV2Push(body: Uint8Array, contentEncoding: string | undefined, limits: DecodeLimits): Buffer {
  if (normaliseContentEncoding(contentEncoding) !== 'snappy') {
    throw new RelaydError('RELAYD_UNSUPPORTED_ENCODING', `"${contentEncoding ?? ''}" on an API v2 push (expected snappy)`);
  }
  return snappyUncompressBounded(body, limits.maxDecompressedBytes);
}

/** The scan, and the decompressed MetricSet it walked (`pb`). */
export async function scanV2Push(
  body: Uint8Array,
  contentEncoding: string | undefined,
  expectedRunId: string,
  limits: DecodeLimits,
): Promise<V2Scan & { readonly pb: Uint8Array }> {
  const pb = decompressV2Push(body, contentEncoding, limits);
  return { ...scanMetricSet(pb, expectedRunId), pb };
}
