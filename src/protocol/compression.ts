// Bounded decompression of API v1 push bodies (gzip), and the content coding names.
//
// Invariant: a body never makes relayd allocate more than `maxBytes` of output: zlib inflates chunk
// by chunk with `maxOutputLength`, so a bomb stops at the limit; gunzipChunks hands the output over
// chunk by chunk instead, so that a large body is never held inflated at all. An honest body is inflated into one
// chunk the size its gzip trailer declares (ISIZE), so that it is never held twice (the chunks and
// their concatenation); the trailer is only a hint, as it is the last member's and modulo 2^32.
// Failures are RelaydErrors: RELAYD_BAD_GZIP or RELAYD_DECOMPRESSED_TOO_LARGE. The snappy block format of API v2 is in snappy.ts, apart: this
// module runs on the validation threads, where the native snappy binding must not be loaded.

import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import { constants as zlibConstants, createGunzip, gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { RelaydError } from '../errors.js';

/** Bounds applied while decoding a push body. */
export interface DecodeLimits {
  /** The largest decompressed (or, for an uncompressed body, raw) payload accepted, in bytes. */
  maxDecompressedBytes: number;
}

const gunzipAsync = promisify(gunzip);
/** A gzip member's 10-byte header and 8-byte trailer (CRC32, ISIZE). */
const GZIP_FRAME_BYTES = 18;
/**
 * DEFLATE inflates at most ~1032 bytes per compressed byte: a trailer declaring more lies, and is
 * not trusted to size the output chunk (zlib allocates the whole chunk up front, so a few KB of
 * garbage declaring 4 GiB would otherwise cost the full decompressed-size limit per request).
 */
const MAX_DEFLATE_RATIO = 1032;

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
    return await gunzipAsync(body, inflateOptions(body, maxBytes));
  } catch (err) {
    throw gzipError(err, maxBytes);
  }
}

/** The same on the calling thread: for a validation thread, which has nothing else to do meanwhile. */
export function gunzipBoundedSync(body: Uint8Array, maxBytes: number): Buffer {
  checkGzipBody(body);
  try {
    return gunzipSync(body, inflateOptions(body, maxBytes));
  } catch (err) {
    throw gzipError(err, maxBytes);
  }
}

/** What gunzipChunks hands over at a time: big enough that the thread-pool hops stay cheap. */
const STREAM_CHUNK_BYTES = 64 * 1024;

/**
 * The inflated body, chunk by chunk as zlib makes them: the same decisions and errors as
 * gunzipBounded (`maxBytes` counted as they come), and only a chunk or two held at a time.
 */
export async function* gunzipChunks(body: Uint8Array, maxBytes: number): AsyncGenerator<Buffer> {
  checkGzipBody(body);
  const gunzipStream = createGunzip({ chunkSize: STREAM_CHUNK_BYTES });
  gunzipStream.end(body);
  let inflated = 0;
  try {
    for await (const chunk of gunzipStream as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > maxBytes) throw Object.assign(new Error('output exceeds the limit'), { code: 'ERR_BUFFER_TOO_LARGE' });
      yield chunk;
    }
  } catch (err) {
    throw gzipError(err, maxBytes);
  } finally {
    gunzipStream.destroy();
  }
}

function checkGzipBody(body: Uint8Array): void {
  if (body.length === 0) throw new RelaydError('RELAYD_BAD_GZIP', 'body is empty');
}

function inflateOptions(body: Uint8Array, maxBytes: number): ZlibOptions {
  const maxOutputLength = Math.min(maxBytes, bufferConstants.MAX_LENGTH);
  const trailer = body.length >= GZIP_FRAME_BYTES ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32LE(body.length - 4) : 0;
  const declared = Math.min(trailer, body.length * MAX_DEFLATE_RATIO);
  // One byte more than declared, so that zlib sees the end of the stream within the chunk.
  const chunkSize = Math.max(zlibConstants.Z_MIN_CHUNK, Math.min(Math.max(declared + 1, zlibConstants.Z_DEFAULT_CHUNK), maxOutputLength + 1));
  return { maxOutputLength, chunkSize };
}

function gzipError(err: unknown, maxBytes: number): RelaydError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new RelaydError('RELAYD_DECOMPRESSED_TOO_LARGE', `gzip body inflates to more than ${maxBytes} bytes`, { cause: err });
  }
  return new RelaydError('RELAYD_BAD_GZIP', (err as Error).message, { cause: err });
}
