// Reading a k6 `--out json` results file (NDJSON, optionally gzip-compressed) as raw samples.
//
//   {"type":"Metric","metric":"http_reqs","data":{"name":"http_reqs","type":"counter","contains":"default",…}}
//   {"type":"Point","metric":"http_reqs","data":{"time":"2023-11-14T22:13:21.123456789+01:00","value":1,"tags":{…}}}
//
// A `Metric` line declares a metric's type; each `Point` line is one sample of a declared metric.
// Times are RFC 3339 with up to nanoseconds and any offset; samples keep them to the microsecond
// (what the cloud protocols carry). Other line types (and `metadata`, which is not sent to the
// cloud) are skipped. A line that breaks these rules stops the reading with its line number.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { StreamMetricType, StreamSample } from '../protocol/index.js';

const METRIC_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'rate', 'trend']);
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

export class K6JsonError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'K6JsonError';
  }
}

/** Unix milliseconds of an RFC 3339 time, kept to the microsecond; null when it is not one. */
export function parseRfc3339(text: string): number | null {
  const match = RFC3339.exec(text);
  if (match === null) return null;
  const [, seconds, fraction = '', zone] = match;
  const wholeMs = Date.parse(`${seconds}${zone === 'z' ? 'Z' : zone}`);
  if (Number.isNaN(wholeMs)) return null;
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return wholeMs + micros / 1000;
}

/** The samples of a results file, with the number of bytes of the file read so far (for progress). */
export interface ResultsReading {
  readonly samples: AsyncGenerator<StreamSample>;
  /** Bytes of the file as stored (compressed, for a .gz) read so far. */
  bytesRead(): number;
}

/** Streams a results file; gzip is recognised by its magic bytes, whatever the file is called. */
export function readK6JsonResults(path: string): ResultsReading {
  let bytes = 0;
  async function* samples(): AsyncGenerator<StreamSample> {
    const gzipped = await startsWithGzipMagic(path);
    const file = createReadStream(path);
    file.on('data', (chunk) => (bytes += chunk.length));
    if (!gzipped) {
      yield* samplesOf(file);
      return;
    }
    // pipeline() destroys the gunzip stream with any error of the file, which the reading rethrows.
    const gunzip = createGunzip();
    pipeline(file, gunzip, () => undefined);
    yield* samplesOf(gunzip);
  }
  return { samples: samples(), bytesRead: () => bytes };
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function* samplesOf(input: AsyncIterable<Buffer>): AsyncGenerator<StreamSample> {
  const types = new Map<string, StreamMetricType>();
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  for await (const chunk of input) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() as string;
    for (const text of lines) {
      const sample = parseLine(text, ++line, types);
      if (sample !== null) yield sample;
    }
  }
  const last = parseLine(rest + decoder.end(), ++line, types);
  if (last !== null) yield last;
}

/** One line: a sample for a `Point`, null for anything else (a `Metric` line records its type). */
export function parseLine(text: string, line: number, types: Map<string, StreamMetricType>): StreamSample | null {
  if (text.trim() === '') return null;
  let entry: { type?: unknown; metric?: unknown; data?: Record<string, unknown> | null };
  try {
    entry = JSON.parse(text) as typeof entry;
  } catch (err) {
    throw new K6JsonError(line, `not JSON (${(err as Error).message})`);
  }
  const data = entry.data;
  if (entry.type === 'Metric') {
    const type = data?.type;
    if (typeof entry.metric !== 'string' || typeof type !== 'string' || !METRIC_TYPES.has(type)) {
      throw new K6JsonError(line, 'a Metric line needs "metric" and a data.type of counter, gauge, rate or trend');
    }
    types.set(entry.metric, type as StreamMetricType);
    return null;
  }
  if (entry.type !== 'Point') return null;
  const metric = entry.metric;
  if (typeof metric !== 'string') throw new K6JsonError(line, 'a Point line needs "metric"');
  const type = types.get(metric);
  if (type === undefined) throw new K6JsonError(line, `metric "${metric}" has no Metric line before its first Point`);
  const time = typeof data?.time === 'string' ? parseRfc3339(data.time) : null;
  if (time === null) throw new K6JsonError(line, `data.time is not an RFC 3339 time: ${JSON.stringify(data?.time)}`);
  const value = data?.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new K6JsonError(line, 'data.value is not a number');
  return { metric, type, time, tags: tagsOf(data?.tags), value };
}

function tagsOf(tags: unknown): Record<string, string> {
  if (tags === null || typeof tags !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) out[name] = String(value);
  return out;
}
