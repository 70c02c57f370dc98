// Reads the multipart create of `k6 cloud run --local-execution` (protocol/multipart-create.ts) from
// the request into a body file (queue/body-files.ts), checking its shape as it streams: the archive
// can be far larger than relayd may hold in memory (one request must not raise RSS by more than
// 64 MiB), so the body goes chunk by chunk to disk, each write awaited before the next chunk is read.
// Nothing is kept of a body that is refused: too large (--max-create-size), no boundary, truncated,
// a missing part, a `file` that is not a tar.
import type { IncomingMessage } from 'node:http';
import { RelaydError } from '../errors.js';
import { MultipartCreateScanner, type CreateTestRun } from '../protocol/index.js';
import type { BodyFileRef, BodyFiles } from '../queue/index.js';

export interface SpooledCreate {
  readonly create: CreateTestRun;
  /** The body as received, byte for byte, synced. */
  readonly file: BodyFileRef;
}

export async function spoolMultipartCreate(req: IncomingMessage, files: BodyFiles, maxBytes: number): Promise<SpooledCreate> {
  const tooLarge = (detail: string): RelaydError =>
    new RelaydError('RELAYD_BODY_TOO_LARGE', `${detail}, multipart create limit ${maxBytes} (--max-create-size)`);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(`${declared} bytes declared`);
  const scanner = new MultipartCreateScanner(req.headers['content-type'] ?? '');
  const writer = await files.create();
  try {
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(`more than ${maxBytes} bytes`);
      scanner.write(chunk);
      if (scanner.problem !== null) throw scanner.problem;
      await writer.write(chunk);
    }
    const create = await scanner.end();
    return { create, file: await writer.keep() };
  } catch (err) {
    await writer.discard();
    throw err;
  }
}
