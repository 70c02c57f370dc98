// The JS decoder that takes snappy blocks over LARGE_BLOCK_BYTES (protocol/snappy.ts) against the
// binding it stands in for: the same bytes for every block, the same verdict on every corrupt one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { LARGE_BLOCK_BYTES } from '../../src/protocol/snappy.js';

const binding = createRequire(import.meta.url)('snappy') as typeof import('snappy');
const LIMIT = 64 * 1024 * 1024;

/** Text with runs and repeats (copies of every kind, overlapping ones) and random bytes between. */
function mixed(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < size; ) {
    const kind = next() % 4;
    const n = Math.min(size - i, 1 + (next() % 300));
    if (kind === 0) out.fill(next() & 0xff, i, i + n);
    else if (kind === 1 && i > 70_000) out.copyWithin(i, i - 1 - (next() % 70_000), i - 1 - (next() % 70_000) + n);
    else if (kind === 2) for (let j = 0; j < n; j++) out[i + j] = next() & 0xff;
    else out.write('http_req_duration{method="GET",status="200"} '.repeat(8), i, n);
    i += n;
  }
  return out;
}

function verdict(decode: () => Buffer): Buffer | 'refused' {
  try {
    return decode();
  } catch {
    return 'refused';
  }
}

describe('large snappy blocks', () => {
  it('decodes what the binding compressed, byte for byte', () => {
    for (const raw of [randomBytes(LARGE_BLOCK_BYTES + 1), Buffer.alloc(6 * 1024 * 1024), mixed(5 * 1024 * 1024, 1)]) {
      const decoded = snappyUncompressBounded(snappyCompress(raw), LIMIT);
      assert.ok(decoded.equals(raw));
    }
  });

  it('refuses a corrupt block exactly when the binding does, and otherwise decodes it as the binding does', () => {
    const block = snappyCompress(mixed(LARGE_BLOCK_BYTES + 100_000, 2));
    let x = 7;
    const next = (): number => (x = (x * 1103515245 + 12345) >>> 0);
    let refused = 0;
    for (let round = 0; round < 150; round++) {
      const damaged = Buffer.from(block);
      const at = 5 + (next() % (damaged.length - 5));
      if (round % 3 === 0) damaged[at] = next() & 0xff;
      else if (round % 3 === 1) damaged[at] = damaged[at]! ^ (1 << (next() % 8));
      const body = round % 10 === 9 ? damaged.subarray(0, at) : damaged;
      const ours = verdict(() => snappyUncompressBounded(body, LIMIT));
      const theirs = verdict(() => binding.uncompressSync(body, { asBuffer: true, copyOutputData: true }) as Buffer);
      if (ours === 'refused' || theirs === 'refused') assert.equal(ours, theirs, `round ${round}: byte ${at}`);
      else assert.ok(ours.equals(theirs), `round ${round}: byte ${at}`);
      if (ours === 'refused') refused++;
    }
    assert.ok(refused > 20, `${refused} of 150 damaged blocks refused: the rounds must exercise refusals`);
  });
});
