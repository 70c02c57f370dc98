import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { readBody, releaseBody } from '../../src/ingest/body.js';
import { META_ROOM } from '../../src/queue/item.js';

/** Sends `body` chunked to a real server on 127.0.0.1 and hands its request to `take`. */
async function serve<T>(body: Buffer, take: (req: IncomingMessage) => Promise<T>): Promise<T> {
  let taken!: Promise<T>;
  const server = createServer((req, res) => {
    taken = take(req);
    void taken.finally(() => res.end()).catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const req = request({ port: (server.address() as AddressInfo).port, method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    });
    return await taken;
  } finally {
    server.close();
  }
}

describe('request bodies', () => {
  const sent = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));

  it('reads a body behind room for its queue item meta, alone in its memory after it', async () => {
    const body = await serve(sent, (req) => readBody(req, 1 << 20, { roomForMeta: true }));
    assert.deepEqual(body, sent);
    assert.equal(body.byteOffset, META_ROOM);
    assert.equal(body.buffer.byteLength, META_ROOM + sent.length);
  });

  it('releases a body: its memory is given back and every view of it is empty', async () => {
    const body = await serve(sent, (req) => readBody(req, 1 << 20));
    const view = body.subarray(10, 20);
    releaseBody(body);
    assert.equal(body.buffer.byteLength, 0);
    assert.equal(body.byteLength, 0);
    assert.equal(view.byteLength, 0);
  });

  it('leaves a body it does not own: one transferred elsewhere, or a plain buffer', () => {
    const Resizable = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ArrayBuffer;
    const transferred = Buffer.from(new Resizable(8, { maxByteLength: 16 }));
    structuredClone(transferred.buffer, { transfer: [transferred.buffer as ArrayBuffer] });
    assert.doesNotThrow(() => releaseBody(transferred));
    const plain = Buffer.from('plain');
    releaseBody(plain);
    assert.equal(plain.toString(), 'plain');
  });
});
