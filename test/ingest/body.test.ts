import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { readBody } from '../../src/ingest/body.js';
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

});
