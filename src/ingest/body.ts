// Reads a request body (chunked or with Content-Length) into one Buffer, refusing more than `maxBytes`
// before buffering it.
//
// The body is copied into memory of its own as it comes, never held twice: k6 sends its pushes
// chunked, with no length up front, and chunks joined at the end would cost twice the body for a
// moment, on top of the socket's chunks (freed only when V8 collects them). The memory is a
// resizable ArrayBuffer, grown in place: its maximum is only reserved address space, and pages are
// committed as it grows. A body alone in its ArrayBuffer can also be transferred to a validation
// thread (push-validator.ts). With `roomForMeta` the body is read behind room for its queue item's
// meta, so that the item is encoded around it rather than copied (queue/item.ts).
import { constants as bufferConstants } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { RelaydError } from '../errors.js';
import { bodyAfterMetaRoom, META_ROOM } from '../queue/item.js';

/** ES2024's resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib is ES2023). */
type ResizableArrayBuffer = ArrayBuffer & { resize(byteLength: number): void };
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

export async function readBody(req: IncomingMessage, maxBytes: number, { roomForMeta = false } = {}): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw new RelaydError('RELAYD_BODY_TOO_LARGE', `${declared} bytes declared, limit ${maxBytes}`);
  const room = roomForMeta ? META_ROOM : 0;
  const memory = new ResizableArrayBuffer(room, { maxByteLength: Math.min(room + maxBytes, bufferConstants.MAX_LENGTH) });
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size + chunk.length > maxBytes) throw new RelaydError('RELAYD_BODY_TOO_LARGE', `more than ${maxBytes} bytes`);
    memory.resize(room + size + chunk.length);
    chunk.copy(new Uint8Array(memory, room + size, chunk.length));
    size += chunk.length;
  }
  return roomForMeta ? bodyAfterMetaRoom(memory, size) : Buffer.from(memory, 0, size);
}
