import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeItem, DurableQueue, encodeItem, type QueueItem } from '../../src/queue/index.js';
import { bodyAfterMetaRoom, META_ROOM } from '../../src/queue/item.js';

const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer;

/** A body as ingest reads a v2 push: behind the meta room of memory of its own. */
function roomyBody(bytes: Buffer): Buffer {
  const memory = new ResizableArrayBuffer(META_ROOM + bytes.length, { maxByteLength: META_ROOM + bytes.length + 1024 });
  bytes.copy(Buffer.from(memory, META_ROOM));
  return bodyAfterMetaRoom(memory, bytes.length);
}

function pushOf(body: Uint8Array, headers: Record<string, string> = { 'content-encoding': 'snappy' }): QueueItem {
  return { kind: 'push', protocol: 'v2', headers, body, receivedAt: 1700000000000, samples: 3 };
}

describe('queue item encoding', () => {
  it('encodes an item around a body read behind the meta room: the value is a view of the body memory, not a copy', () => {
    const bytes = Buffer.from('a v2 body, snappy as it came');
    const body = roomyBody(bytes);
    const value = encodeItem(pushOf(body));
    assert.equal(value.buffer, body.buffer);
    assert.equal(value.byteOffset + value.byteLength, body.byteOffset + body.byteLength);
    const decoded = decodeItem(value);
    assert.deepEqual(Buffer.from(decoded.body), bytes);
    assert.deepEqual({ ...decoded, body: undefined }, { ...pushOf(body), body: undefined });
    assert.deepEqual(value, encodeItem(pushOf(bytes)), 'the same bytes as an item encoded by copying');
  });

  it('uses the room once: a second item encoded around the same body is a copy, the first one intact', () => {
    const body = roomyBody(Buffer.from('body'));
    const first = encodeItem(pushOf(body, { a: '1' }));
    const second = encodeItem(pushOf(body, { b: '22' }));
    assert.notEqual(second.buffer, body.buffer);
    assert.deepEqual(decodeItem(first).headers, { a: '1' });
    assert.deepEqual(decodeItem(second).headers, { b: '22' });
  });

  it('copies when the meta does not fit the room, and for a body with no room (a slice of it, a plain buffer)', () => {
    const big = roomyBody(Buffer.from('body'));
    const headers = { authorization: 'x'.repeat(META_ROOM) };
    assert.deepEqual(decodeItem(encodeItem(pushOf(big, headers))).headers, headers);
    const sliced = roomyBody(Buffer.from('body-and-more')).subarray(5);
    const value = encodeItem(pushOf(sliced));
    assert.notEqual(value.buffer, sliced.buffer);
    assert.equal(Buffer.from(decodeItem(value).body).toString(), 'and-more');
  });

  it('stores and reads back an item encoded around its body', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relayd-item-'));
    try {
      const queue = await DurableQueue.open(dir);
      const bytes = Buffer.alloc(256 * 1024, 7);
      const seq = await queue.append('run-1', pushOf(roomyBody(bytes)));
      const [stored] = await queue.read('run-1', seq - 1, 1);
      assert.deepEqual(Buffer.from(stored!.body), bytes);
      assert.deepEqual(stored!.headers, { 'content-encoding': 'snappy' });
      await queue.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
