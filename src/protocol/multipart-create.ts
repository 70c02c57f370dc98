// The multipart create of `k6 cloud run --local-execution` (k6 v0.54–v2.1, flows §1.3): POST /v1/tests
// with `Content-Type: multipart/form-data; boundary=<60 hex>` and the parts
//
//   name        the test name (non-empty)
//   project_id  integer ≥ 0 ("0" when unset)
//   vus         integer ≥ 0
//   duration    integer ≥ −1 (seconds, graceful stop included)
//   file        filename="archive.tar", application/octet-stream: the k6 archive, a tar
//
// There are no thresholds (the finish carries their results). The scanner checks that shape as the
// bytes stream past, keeping only the text fields and the archive's first 512-byte block: the body
// itself is never held here, so an archive of any size costs the same memory. relayd forwards the
// original bytes, so only what must hold for the cloud to take the run is checked; a part of
// another name is kept and passed on, as unknown JSON keys are.
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { RelaydError } from '../errors.js';
import type { CreateTestRun } from './test-run.js';

const TAR_BLOCK = 512;
/** k6's text parts are a few bytes; a name is a script file name. */
const MAX_FIELD_BYTES = 64 * 1024;
/** The five parts k6 sends, with room for a few it may add. */
const MAX_PARTS = 32;

/** Whether a Content-Type header announces a multipart form (boundary or not: that is checked later). */
export function isMultipartForm(contentType: string | undefined): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? '');
}

/**
 * A POSIX (ustar) or GNU tar header: the magic at 257 and a checksum at 148 that matches the sum of
 * the block's bytes with the checksum field read as spaces. Go's archive/tar writes one of the two.
 */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < TAR_BLOCK) return false;
  const magic = Buffer.from(block.buffer, block.byteOffset + 257, 8).toString('latin1');
  if (magic !== 'ustar\u000000' && magic !== 'ustar  \u0000') return false;
  const stored = Number.parseInt(Buffer.from(block.buffer, block.byteOffset + 148, 8).toString('latin1').replace(/[\0 ]+$/, ''), 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return stored === sum;
}

export class MultipartCreateScanner {
  readonly #parser: BusboyInstance;
  readonly #fields = new Map<string, string>();
  readonly #done: Promise<void>;
  #archiveHead: Buffer | null = null;
  #settle: () => void = () => undefined;
  #problem: RelaydError | null = null;

  /** Throws RELAYD_BAD_CREATE when the Content-Type has no usable boundary. */
  constructor(contentType: string) {
    try {
      this.#parser = Busboy({
        headers: { 'content-type': contentType },
        limits: { fieldSize: MAX_FIELD_BYTES, parts: MAX_PARTS, files: 1 },
      });
    } catch (err) {
      throw bad(`multipart/form-data without a usable boundary (${(err as Error).message})`);
    }
    const parser = this.#parser;
    parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (valueTruncated) this.#fail(`part ${name} is larger than ${MAX_FIELD_BYTES} bytes`);
      else this.#fields.set(name, value);
    });
    parser.on('file', (name, stream) => {
      if (name !== 'file') this.#fail(`unexpected file part ${JSON.stringify(name)}: k6 sends its archive as "file"`);
      const head: Buffer[] = [];
      let headBytes = 0;
      stream.on('data', (chunk: Buffer) => {
        if (headBytes >= TAR_BLOCK) return;
        head.push(chunk);
        headBytes += chunk.length;
      });
      stream.on('end', () => {
        this.#archiveHead = Buffer.concat(head).subarray(0, TAR_BLOCK);
      });
      stream.on('error', (err: Error) => this.#incomplete(err));
    });
    parser.on('partsLimit', () => this.#fail(`more than ${MAX_PARTS} parts`));
    parser.on('filesLimit', () => this.#fail('more than one file part'));
    this.#done = new Promise((resolve) => {
      this.#settle = resolve;
      parser.on('finish', resolve);
      parser.on('error', (err: unknown) => this.#incomplete(err));
    });
  }

  /** The first problem seen so far, if any: the caller may stop reading the body. */
  get problem(): RelaydError | null {
    return this.#problem;
  }

  write(chunk: Buffer): void {
    if (this.#problem === null) this.#parser.write(chunk);
  }

  /** After the last byte: the create's fields, or RELAYD_BAD_CREATE saying what is wrong. */
  async end(): Promise<CreateTestRun> {
    if (this.#problem === null) this.#parser.end();
    await this.#done;
    if (this.#problem !== null) throw this.#problem;
    if (this.#archiveHead === null) throw bad('no "file" part: the test archive is missing');
    if (!isTarHeader(this.#archiveHead)) throw bad('the "file" part is not a tar archive (no valid tar header)');
    return createFields(this.#fields);
  }

  /** The parser gave up (a truncated body or a broken part): nothing more will come from it. */
  #incomplete(err: unknown): void {
    this.#fail(`not a complete multipart body (${err instanceof Error ? err.message : String(err)})`);
    this.#settle();
  }

  #fail(detail: string): void {
    this.#problem ??= bad(detail);
  }
}

function createFields(fields: ReadonlyMap<string, string>): CreateTestRun {
  const name = fields.get('name');
  if (name === undefined || name === '') throw bad('no "name" part, or an empty one');
  const create: CreateTestRun = { name };
  const vus = integerField(fields, 'vus', 0);
  const duration = integerField(fields, 'duration', -1);
  const projectId = integerField(fields, 'project_id', 0);
  if (vus !== undefined) create.vus = vus;
  if (duration !== undefined) create.duration = duration;
  if (projectId !== undefined) create.project_id = projectId;
  return create;
}

function integerField(fields: ReadonlyMap<string, string>, key: string, min: number): number | undefined {
  const text = fields.get(key);
  if (text === undefined) return undefined;
  const value = /^-?\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min)) throw bad(`${key}: expected an integer ≥ ${min}, got ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}

function bad(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_CREATE', detail);
}
