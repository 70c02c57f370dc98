// Reads a request body (chunked or with Content-Length) into one Buffer, refusing more than `maxBytes`
// before buffering it.
import type { IncomingMessage } from 'node:http';
import { RelaydError } from '../errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw new RelaydError('RELAYD_BODY_TOO_LARGE', `${declared} bytes declared, limit ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new RelaydError('RELAYD_BODY_TOO_LARGE', `more than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
