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

/** Reads the uncompressed length that opens a snappy block (a little-endian base-128 varint). */
function snappyDeclaredLength(body: Uint8Array): number {
  let length = 0;
  for (let i = 0; i < SNAPPY_MAX_HEADER_BYTES && i < body.length; i++) {
    const byte = body[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      if (length > 0xffff_ffff) break;
      return length;
    }
  }
  throw new RelaydError('RELAYD_BAD_SNAPPY', body.length === 0 ? 'body is empty' : 'invalid length header');
}

export function snappyUncompressBounded(body: Uint8Array, maxBytes: number): Buffer {
  checkSnappyLength(body, maxBytes);
  try {
    return asBuffer(snappy().uncompressSync(body, { asBuffer: true, copyOutputData: true }));
  } catch (err) {
    throw snappyError(err);
  }
}

function checkSnappyLength(body: Uint8Array, maxBytes: number): void {
  const declared = snappyDeclaredLength(body);
  if (declared > maxBytes) {
    throw new RelaydError('RELAYD_DECOMPRESSED_TOO_LARGE', `snappy header declares ${declared} bytes, limit is ${maxBytes}`);
  }
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
