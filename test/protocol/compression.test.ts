import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { gunzipBounded, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';

const MiB = 1024 * 1024;

describe('gunzipBounded', () => {
  it('inflates a gzip body within the limit', async () => {
    const raw = Buffer.from('[{"hello":"world"}]');
    assert.deepEqual(await gunzipBounded(gzipSync(raw), raw.length), raw);
  });

  it('stops a 1 GiB gzip bomb at the limit with RELAYD_DECOMPRESSED_TOO_LARGE', async () => {
    // 1024 concatenated gzip members of 1 MiB of zeros: a valid 1 MiB body inflating to 1 GiB.
    const bomb = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(MiB), { level: 9 })));
    assert.ok(bomb.length < 2 * MiB);
    await assert.rejects(gunzipBounded(bomb, 8 * MiB), { name: 'RelaydError', code: 'RELAYD_DECOMPRESSED_TOO_LARGE' });
  });

  it('rejects a truncated gzip body with RELAYD_BAD_GZIP', async () => {
    const body = gzipSync(Buffer.from('x'.repeat(1000)));
    await assert.rejects(gunzipBounded(body.subarray(0, body.length - 10), MiB), {
      code: 'RELAYD_BAD_GZIP',
      message: /unexpected end of file/,
    });
  });

  it('rejects bytes that are not gzip and an empty body with RELAYD_BAD_GZIP', async () => {
    await assert.rejects(gunzipBounded(Buffer.from('[1,2,3]'), MiB), { code: 'RELAYD_BAD_GZIP' });
    await assert.rejects(gunzipBounded(new Uint8Array(0), MiB), { code: 'RELAYD_BAD_GZIP', message: /empty/ });
  });
});

describe('snappy block format: snappyUncompressBounded', () => {
  it('round-trips what snappyCompress made', () => {
    const raw = Buffer.from('metrics '.repeat(500));
    const compressed = snappyCompress(raw);
    assert.ok(compressed.length < raw.length);
    assert.deepEqual(snappyUncompressBounded(compressed, raw.length), raw);
  });

  it('rejects a body whose declared length exceeds the limit before decompressing', () => {
    // varint 0xffffffff (4 GiB − 1) followed by nothing: never allocated.
    const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
    assert.throws(() => snappyUncompressBounded(huge, 64 * MiB), { code: 'RELAYD_DECOMPRESSED_TOO_LARGE', message: /declares 4294967295 bytes/ });
    const raw = Buffer.alloc(1000, 1);
    assert.throws(() => snappyUncompressBounded(snappyCompress(raw), 999), { code: 'RELAYD_DECOMPRESSED_TOO_LARGE' });
  });

  it('rejects garbage, an empty body and an over-long length header with RELAYD_BAD_SNAPPY', () => {
    assert.throws(() => snappyUncompressBounded(Buffer.from('this is not snappy at all'), MiB), { code: 'RELAYD_BAD_SNAPPY' });
    assert.throws(() => snappyUncompressBounded(new Uint8Array(0), MiB), { code: 'RELAYD_BAD_SNAPPY', message: /empty/ });
    assert.throws(() => snappyUncompressBounded(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), MiB), {
      code: 'RELAYD_BAD_SNAPPY',
      message: /length header/,
    });
  });

  it('rejects a body that is shorter than its declared length with RELAYD_BAD_SNAPPY', () => {
    const compressed = snappyCompress(Buffer.from('abcdefghij'.repeat(20)));
    assert.throws(() => snappyUncompressBounded(compressed.subarray(0, compressed.length - 3), MiB), { code: 'RELAYD_BAD_SNAPPY' });
  });
});
