// A body sent from a file (a multipart create's archive) gets time for its upload on top of the
// per-attempt timeout: an upstream that takes the bytes slowly still gets all of them, unchanged,
// with their Content-Length.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { UpstreamClient } from '../../src/forward/index.js';
import { Metrics } from '../../src/observe/index.js';
import { tempDir } from '../helpers/relayd.js';

const BYTES = 16 * 1024 * 1024;
const UPSTREAM_TIMEOUT_MS = 300;
/** Longer than the per-attempt timeout, far shorter than 16 MiB at the slowest upload rate (16 s). */
const READ_AFTER_MS = 1500;

describe('upstream client, body from a file', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let url: string;
  let path: string;
  const body = randomBytes(BYTES);
  const received: { hash: string; length: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.pause();
    void sleep(READ_AFTER_MS).then(() => {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => hash.update(chunk));
      req.on('end', () => {
        received.push({ hash: hash.digest('hex'), length: req.headers['content-length'] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reference_id":"1234"}');
      });
      req.resume();
    });
  });

  before(async () => {
    data = await tempDir();
    path = join(data.path, 'archive.body');
    await writeFile(path, body);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await data.remove();
  });

  it('lets a slow upload of 16 MiB finish past the per-attempt timeout and sends it unchanged', async () => {
    const client = new UpstreamClient(url, { connections: 1, timeoutMs: UPSTREAM_TIMEOUT_MS, metrics: new Metrics() });
    try {
      const outcome = await client.send({ path: '/v1/tests', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: { path, bytes: BYTES } }, new AbortController().signal);
      assert.equal(outcome.kind, 'delivered', JSON.stringify(outcome));
      assert.deepEqual(received, [{ hash: createHash('sha256').update(body).digest('hex'), length: String(BYTES) }]);
    } finally {
      await client.close();
    }
  });

  it('keeps an explicit timeout (the create a runner waits for) as it is', async () => {
    const client = new UpstreamClient(url, { connections: 1, timeoutMs: UPSTREAM_TIMEOUT_MS, metrics: new Metrics() });
    try {
      const outcome = await client.send({ path: '/v1/tests', headers: {}, body: { path, bytes: BYTES } }, new AbortController().signal, UPSTREAM_TIMEOUT_MS);
      assert.equal(outcome.kind, 'retry');
    } finally {
      await client.close();
    }
  });
});
