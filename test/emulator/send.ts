// A minimal HTTP client for tests: one request on a fresh connection (no keep-alive pool, so a
// test that takes the emulator down never reuses a stale socket), with the body framed either
// as k6 does (chunked) or with a Content-Length, as a forwarder may.

import { type IncomingHttpHeaders, request } from 'node:http';

export type Framing = 'chunked' | 'content-length';

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  framing?: Framing;
}

export interface SendResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function send(url: string, options: SendOptions = {}): Promise<SendResult> {
  const { method = 'POST', headers = {}, body, framing = 'content-length' } = options;
  const finalHeaders = { ...headers };
  if (body !== undefined && framing === 'content-length') finalHeaders['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: finalHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined && framing === 'chunked') {
      // Two writes so the body really crosses the wire as more than one chunk.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.write(body.subarray(half));
    } else if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}
