// Multipart creates for tests: the real one k6 v1.3.0 sent (cloud-run-local-execution), its parts, and
// bodies built like it (Go's mime/multipart layout) with parts changed, for the bad cases.
import { loadFixture, type FixtureRequest } from '../emulator/fixtures.js';

export const MULTIPART_CAPTURE: FixtureRequest = loadFixture('cloud-run-local-execution')[0]!;
export const CAPTURED_BOUNDARY = /boundary=([0-9a-f]+)/.exec(MULTIPART_CAPTURE.headers['content-type']!)![1]!;

export interface Part {
  readonly name: string;
  readonly value: string | Buffer;
  /** Makes it a file part, as k6's archive part. */
  readonly filename?: string;
}

/** The captured archive (the tar inside the `file` part). */
export function capturedArchive(): Buffer {
  const body = MULTIPART_CAPTURE.body;
  const start = body.indexOf('\r\n\r\n', body.indexOf('name="file"')) + 4;
  return body.subarray(start, body.lastIndexOf(`\r\n--${CAPTURED_BOUNDARY}--`));
}

/** k6's parts in k6's order: name, project_id, vus, duration, file. */
export function k6Parts(archive: Buffer = capturedArchive()): Part[] {
  return [
    { name: 'name', value: 'script.js' },
    { name: 'project_id', value: '0' },
    { name: 'vus', value: '5' },
    { name: 'duration', value: '38' },
    { name: 'file', value: archive, filename: 'archive.tar' },
  ];
}

export function multipartBody(parts: readonly Part[], boundary = CAPTURED_BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.filename ? '\r\nContent-Type: application/octet-stream' : '';
    chunks.push(Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** The captured create's headers as k6 sent them, without the transport ones (send() sets those). */
export function capturedCreateHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  const { host: _host, 'content-length': _length, ...headers } = MULTIPART_CAPTURE.headers;
  return { ...headers, ...overrides };
}
