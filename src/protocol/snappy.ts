// Bounded decompression of API v2 push bodies: the snappy *block* format.
//
// Invariant: a body never makes relayd allocate more than `maxBytes` of output: a block opens with
// a varint of its uncompressed length, checked before the decoder allocates anything. Failures are
// RelaydErrors: RELAYD_BAD_SNAPPY or RELAYD_DECOMPRESSED_TOO_LARGE.
//
// Event loop only: the binding (napi-rs) crashes the process when a worker thread that loaded it
// exits (Brooooooklyn/snappy#83), so the validation threads never import this module.
//
// Memory: the binding allocates with its own mimalloc, which V8 neither sees nor collects for.
//  - Output is copied into a V8-owned Buffer (copyOutputData) and the binding's copy freed at once:
//    its external buffers are freed only when V8 collects them, and V8, not knowing their size, let
//    them pile up (a loop of sync calls on 1000-series pushes held 740 MiB of private memory).
//  - No call on libuv's thread pool (the binding's async uncompress): memory it allocates there
//    and that is freed on the event loop was not given back (mimalloc's cross-thread frees): ~0.8
//    MiB per 1000-series push, 250 MiB within seconds of the maximum v2 load, which OOM-killed
//    relayd in a 256 MiB container; the copying sync call held 40 MiB. It costs the event loop the
//    decompression (~0.8 ms per 540 KiB) instead of ~0.1 ms.
//  - A block of more than LARGE_BLOCK_BYTES is decoded here, in JS, straight into a V8-owned
//    buffer: the binding's output of a 12 MiB body stayed resident after its copy (mimalloc keeps
//    what it freed until its next call), and it was a second 12 MiB while copied. On such blocks the
//    JS decoder is as fast; on a k6-sized one it is ~4× slower, which is why the binding stays.
// The binding is loaded with the first call, synchronously (it is CommonJS): ~4 MiB of RSS that a
// relayd at rest, or one that only sees v1, does not need.

import { createRequire } from 'node:module';
import { RelaydError } from '../errors.js';

type SnappyBinding = typeof import('snappy');
let loaded: SnappyBinding | undefined;

function snappy(): SnappyBinding {
  loaded ??= createRequire(import.meta.url)('snappy') as SnappyBinding;
  return loaded;
}

/** The largest varint a snappy block header may hold: the uncompressed length is a uint32. */
const SNAPPY_MAX_HEADER_BYTES = 5;

/** Blocks above this are decoded in JS (see the header); a k6 push is ~0.6 MiB decompressed. */
export const LARGE_BLOCK_BYTES = 4 * 1024 * 1024;

/** The uncompressed length that opens a snappy block (a little-endian base-128 varint), and its size. */
function snappyHeader(body: Uint8Array): { readonly length: number; readonly bytes: number } {
  let length = 0;
  for (let i = 0; i < SNAPPY_MAX_HEADER_BYTES && i < body.length; i++) {
    const byte = body[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      if (length > 0xffff_ffff) break;
      return { length, bytes: i + 1 };
    }
  }
  throw new RelaydError('RELAYD_BAD_SNAPPY', body.length === 0 ? 'body is empty' : 'invalid length header');
}

export function snappyUncompressBounded(body: Uint8Array, maxBytes: number): Buffer {
  const header = snappyHeader(body);
  if (header.length > maxBytes) {
    throw new RelaydError('RELAYD_DECOMPRESSED_TOO_LARGE', `snappy header declares ${header.length} bytes, limit is ${maxBytes}`);
  }
  if (header.length > LARGE_BLOCK_BYTES) return decodeBlock(body, header.bytes, header.length);
  try {
    return asBuffer(snappy().uncompressSync(body, { asBuffer: true, copyOutputData: true }));
  } catch (err) {
    throw snappyError(err);
  }
}

/** The snappy block format (format_description.txt in google/snappy): literals and back-references. */
function decodeBlock(body: Uint8Array, start: number, length: number): Buffer {
  const out = Buffer.allocUnsafeSlow(length);
  const end = body.length;
  let s = start;
  let d = 0;
  const corrupt = (what: string): RelaydError => new RelaydError('RELAYD_BAD_SNAPPY', `corrupt input: ${what} at byte ${s}`);
  while (s < end) {
    const tag = body[s++]!;
    let len = tag >>> 2;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        if (len >= 60) {
          const n = len - 59;
          if (n > end - s) throw corrupt('truncated literal length');
          len = 0;
          for (let i = 0; i < n; i++) len += body[s + i]! * 2 ** (8 * i);
          s += n;
        }
        len += 1;
        if (len > end - s || len > length - d) throw corrupt('literal past the end');
        out.set(body.subarray(s, s + len), d);
        s += len;
        d += len;
        continue;
      }
      case 1:
        if (s >= end) throw corrupt('truncated copy');
        len = 4 + (len & 7);
        offset = ((tag >>> 5) << 8) | body[s++]!;
        break;
      case 2:
        if (2 > end - s) throw corrupt('truncated copy');
        len += 1;
        offset = body[s]! | (body[s + 1]! << 8);
        s += 2;
        break;
      default:
        if (4 > end - s) throw corrupt('truncated copy');
        len += 1;
        offset = (body[s]! | (body[s + 1]! << 8) | (body[s + 2]! << 16)) + body[s + 3]! * 2 ** 24;
        s += 4;
    }
    if (offset === 0 || offset > d || len > length - d) throw corrupt('copy out of range');
    // A copy may overlap what it writes (it repeats the last `offset` bytes): copied in runs that
    // double, each from what is already written.
    const from = d - offset;
    while (len > 0) {
      const n = Math.min(len, d - from);
      out.copyWithin(d, from, from + n);
      d += n;
      len -= n;
    }
  }
  if (d !== length) throw corrupt(`${d} bytes decoded, ${length} declared`);
  return out;
}

/** `asBuffer` makes the binding return a Buffer; this narrows its union type. */
function asBuffer(raw: string | Buffer): Buffer {
  if (typeof raw === 'string') throw new RelaydError('RELAYD_INTERNAL', 'snappy returned a string');
  return raw;
}

function snappyError(err: unknown): RelaydError {
  return err instanceof RelaydError ? err : new RelaydError('RELAYD_BAD_SNAPPY', (err as Error).message, { cause: err });
}

export function snappyCompress(raw: Uint8Array): Buffer {
  return snappy().compressSync(raw, { copyOutputData: true });
}
