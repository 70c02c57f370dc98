// Bounded decompression of API v1 push bodies (gzip), and the content coding names.
//
// Invariant: a body never makes relayd allocate more than `maxBytes` of output: zlib inflates with
// `maxOutputLength`, so a bomb stops at the limit. Failures are RelaydErrors: RELAYD_BAD_GZIP or
// RELAYD_DECOMPRESSED_TOO_LARGE. The snappy block format of API v2 is in snappy.ts, apart: this
// module runs on the validation threads, where the native snappy binding must not be loaded.

import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { RelaydError } from '../errors.js';

/** Bounds applied while decoding a push body. */
export interface DecodeLimits {
  /** The largest decompressed (or, for an uncompressed body, raw) payload accepted, in bytes. */
  maxDecompressedBytes: number;
}

const gunzipAsync = promisify(gunzip);


/**
 * Normalises a Content-Encoding header value: trimmed, lower-case, and `identity` when absent or
 * empty. `x-gzip` is gzip (RFC 9110 §8.4.1.3).
 */
export function normaliseContentEncoding(contentEncoding: string | undefined): string {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '') return 'identity';
  return coding === 'x-gzip' ? 'gzip' : coding;
}

export async function gunzipBounded(body: Uint8Array, maxBytes: number): Promise<Buffer> {
  checkGzipBody(body);
  try {
    return await gunzipAsync(body, { maxOutputLength: outputLimit(maxBytes) });
  } catch (err) {
    throw gzipError(err, maxBytes);
  }
}

/** The same on the calling thread: for a validation thread, which has nothing else to do meanwhile. */
export function gunzipBoundedSync(body: Uint8Array, maxBytes: number): Buffer {
  checkGzipBody(body);
  try {
    return gunzipSync(body, { maxOutputLength: outputLimit(maxBytes) });
  } catch (err) {
    throw gzipError(err, maxBytes);
  }
}

function checkGzipBody(body: Uint8Array): void {
  if (body.length === 0) throw new RelaydError('RELAYD_BAD_GZIP', 'body is empty');
}

function outputLimit(maxBytes: number): number {
  return Math.min(maxBytes, bufferConstants.MAX_LENGTH);
}

function gzipError(err: unknown, maxBytes: number): RelaydError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new RelaydError('RELAYD_DECOMPRESSED_TOO_LARGE', `gzip body inflates to more than ${maxBytes} bytes`, { cause: err });
  }
  return new RelaydError('RELAYD_BAD_GZIP', (err as Error).message, { cause: err });
}
