// API v1 metric push (§4): a JSON array of sample envelopes, gzip-compressed or plain.
//
//   [{"type":"Point",            "metric":<name>,          "data":{time,type,tags,value}},
//    {"type":"Points",           "metric":"http_req_li_all"|"iter_li_all", "data":{time,type,tags,values}},
//    {"type":"AggregatedPoints", "metric":"http_req_li_all", "data":{time,type,count,tags,values}}]
//
// Invariants checked for every envelope (the first violation is reported with its path):
// - `data.time` is a JSON string of decimal digits (Unix µs);
// - `data.type` is the metric type for Point, "counter" for Points, "aggregated_trend" for
//   AggregatedPoints; `tags`, when present, maps strings to strings;
// - Point carries a numeric `value`; Points a non-empty `values` of numbers; AggregatedPoints a
//   positive integer `count` and `values` of objects of numbers (§5.3).
// Unknown keys are ignored. The sample count is the array length (X-Payload-Sample-Count).
// A gzip body may inflate to at most maxDecompressedBytes; a plain body may be at most that long
// (RELAYD_BODY_TOO_LARGE).
// Validation is plain loops returning a problem string: this runs once per sample at ingest rate.
//
// Ingest validates with walkV1Push, whose memory does not grow with the body: a body of up to
// WHOLE_BODY_MAX_BYTES of JSON (a one-second push of k6 at 10,000 requests/s; the usual is ~1.7 MiB)
// is inflated and parsed whole, which is fastest; a larger one is inflated chunk by chunk and read
// envelope by envelope (json-array-scanner.ts): JSON.parse of a whole document holds it three times
// over (bytes, text, tree ~2-3x the text), which for a 64 MiB body is ~250 MiB. Both accept and refuse
// the same bodies with the same codes, and find the same sample count. The chunked walk reports the
// first problem in the body's order: a gzip error or the size limit still wins over anything (the
// body is inflated to its end or the limit), then invalid UTF-8, then whichever of a JSON syntax
// error, a v1 problem and an envelope over MAX_ENVELOPE_BYTES comes first (the whole parse reports a
// syntax error anywhere before any v1 problem). Its messages are the whole parse's, but for JSON
// syntax errors (V8's wording for the envelope, the position in the whole body) and a top-level
// value that is not an array (described by its kind: "an object", "a string", "a number").

import { RelaydError } from '../errors.js';
import { isAscii } from 'node:buffer';
import { type DecodeLimits, gunzipBounded, gunzipBoundedSync, gunzipChunks, normaliseContentEncoding } from './compression.js';
import { JsonArrayScanner } from './json-array-scanner.js';
import { describe, isJsonObject, parseJson, Utf8Check } from './json.js';

export interface V1Envelope {
  type: 'Point' | 'Points' | 'AggregatedPoints';
  metric: string;
  data: {
    time: string;
    type: string;
    tags?: Record<string, string>;
    value?: number;
    values?: Record<string, unknown>;
    count?: number;
  };
}

const DIGITS = /^[0-9]+$/;

export interface DecodedV1Push {
  readonly envelopes: V1Envelope[];
  readonly samples: number;
}

export async function decodeV1Push(body: Uint8Array, contentEncoding: string | undefined, limits: DecodeLimits): Promise<DecodedV1Push> {
  return parseV1Push(await inflate(body, contentEncoding, limits, gunzipBounded));
}

/** The same on the calling thread (a validation thread): the gzip is inflated synchronously. */
export function decodeV1PushSync(body: Uint8Array, contentEncoding: string | undefined, limits: DecodeLimits): DecodedV1Push {
  return parseV1Push(inflate(body, contentEncoding, limits, gunzipBoundedSync));
}

function parseV1Push(json: Uint8Array): DecodedV1Push {
  const envelopes = validateEnvelopes(parseJson(json));
  return { envelopes, samples: envelopes.length };
}

/**
 * Bodies of up to this much JSON are parsed whole (fastest: one JSON.parse); larger ones envelope by
 * envelope. At the bound, the whole parse holds ~8 MiB inflated, 8 MiB of text and ~20 MiB of tree.
 */
const WHOLE_BODY_MAX_BYTES = 8 * 1024 * 1024;
/**
 * The longest envelope the chunked walk takes. k6's are a few hundred bytes (the largest kind, a
 * request's `http_req_li_all`, ~550 bytes with a 23-character URL; a few KiB with long URLs and tags):
 * 1 MiB is thousands of times that, and what one envelope may cost in memory.
 */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;

/** Sees each envelope of a push once it is valid, in order. An error it throws refuses the push, unless the body has a problem of its own. */
export type V1Visitor = (envelope: V1Envelope, index: number) => void;

/**
 * Validates an API v1 push and hands its envelopes to `visit` without holding them all (see the
 * module's comment): its sample count, or the RelaydError that refuses it. `inflateWhole` inflates
 * a body parsed whole: gunzipBoundedSync on a validation thread, which has nothing else to do.
 */
export async function walkV1Push(
  body: Uint8Array,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
  visit: V1Visitor,
  inflateWhole: (body: Uint8Array, maxBytes: number) => Uint8Array | Promise<Uint8Array> = gunzipBounded,
): Promise<number> {
  const gzip = codingOf(body, contentEncoding, limits) === 'gzip';
  const wholeMax = Math.min(limits.maxDecompressedBytes, WHOLE_BODY_MAX_BYTES);
  if ((gzip ? gzipDeclaredSize(body) : body.length) <= wholeMax) {
    const json = gzip ? await inflateUpTo(body, wholeMax, wholeMax < limits.maxDecompressedBytes, inflateWhole) : body;
    if (json !== undefined) {
      const { envelopes } = parseV1Push(json);
      for (let i = 0; i < envelopes.length; i++) visit(envelopes[i]!, i);
      return envelopes.length;
    }
  }
  return walkV1Json(gzip ? gunzipChunks(body, limits.maxDecompressedBytes) : sliced(body), visit);
}

/** The inflated body, or undefined when it is larger than `maxBytes` but may be walked in chunks. */
async function inflateUpTo(
  body: Uint8Array,
  maxBytes: number,
  mayBeLarger: boolean,
  inflateWhole: (body: Uint8Array, maxBytes: number) => Uint8Array | Promise<Uint8Array>,
): Promise<Uint8Array | undefined> {
  try {
    return await inflateWhole(body, maxBytes);
  } catch (err) {
    if (mayBeLarger && err instanceof RelaydError && err.code === 'RELAYD_DECOMPRESSED_TOO_LARGE') return undefined;
    throw err;
  }
}

/** What a gzip body's trailer (ISIZE) says it inflates to: only a hint (see compression.ts). */
function gzipDeclaredSize(body: Uint8Array): number {
  return body.length >= 4 ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32LE(body.length - 4) : 0;
}

/** A plain body in chunks, as gunzipChunks hands an inflated one over. */
function* sliced(body: Uint8Array): Generator<Buffer> {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (let offset = 0; offset < buffer.length; offset += STREAM_SLICE_BYTES) yield buffer.subarray(offset, offset + STREAM_SLICE_BYTES);
}
const STREAM_SLICE_BYTES = 64 * 1024;

/** The chunked walk over a push's JSON, as it comes in chunks: see the module's comment for which problem it reports. */
export async function walkV1Json(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, visit: V1Visitor): Promise<number> {
  let visitError: unknown;
  const scanner = new JsonArrayScanner(MAX_ENVELOPE_BYTES, (bytes, index, position) => {
    const envelope = parseEnvelope(bytes, position);
    const problem = envelopeProblem(envelope);
    if (problem !== undefined) throw invalid(`[${index}]${problem}`);
    if (visitError !== undefined) return;
    try {
      visit(envelope as V1Envelope, index);
    } catch (err) {
      if (!(err instanceof RelaydError)) throw err;
      visitError = err;
    }
  });
  const utf8 = new Utf8Check();
  let utf8Problem: RelaydError | undefined;
  let problem: RelaydError | undefined;
  // Inflated to the end even after a problem: a gzip error or the size limit must still win.
  for await (const chunk of chunks) {
    if (utf8Problem !== undefined) continue;
    utf8Problem = utf8.write(chunk);
    if (utf8Problem !== undefined || problem !== undefined) continue;
    problem = caught(() => scanner.write(chunk));
  }
  utf8Problem ??= utf8.end();
  problem ??= caught(() => scanner.end());
  const refusal = utf8Problem ?? problem ?? visitError;
  if (refusal !== undefined) throw refusal;
  return scanner.count;
}

function caught(scan: () => void): RelaydError | undefined {
  try {
    scan();
    return undefined;
  } catch (err) {
    if (err instanceof RelaydError) return err;
    throw err;
  }
}

/** One envelope's JSON; a syntax error's position is made the body's. */
function parseEnvelope(bytes: Buffer, position: number): unknown {
  try {
    return JSON.parse(isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'));
  } catch (err) {
    const message = (err as Error).message.replace(/at position (\d+)/, (_, at: string) => `at position ${position + Number(at)}`);
    throw new RelaydError('RELAYD_BAD_JSON', message, { cause: err });
  }
}

/** The body inflated by `gunzip` (sync or async) when it is gzip, as it is when it has no coding. */
function inflate<T>(
  body: Uint8Array,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
  gunzip: (body: Uint8Array, maxBytes: number) => T,
): T | Uint8Array {
  return codingOf(body, contentEncoding, limits) === 'gzip' ? gunzip(body, limits.maxDecompressedBytes) : body;
}

/** A v1 push's coding; a plain body longer than the decompressed size limit is refused here. */
function codingOf(body: Uint8Array, contentEncoding: string | undefined, limits: DecodeLimits): 'gzip' | 'identity' {
  const coding = normaliseContentEncoding(contentEncoding);
  if (coding === 'gzip') return coding;
  if (coding !== 'identity') {
    throw new RelaydError('RELAYD_UNSUPPORTED_ENCODING', `"${contentEncoding}" on an API v1 push (expected gzip or none)`);
  }
  if (body.length > limits.maxDecompressedBytes) {
    throw new RelaydError('RELAYD_BODY_TOO_LARGE', `${body.length} bytes, limit is ${limits.maxDecompressedBytes}`);
  }
  return coding;
}

function validateEnvelopes(parsed: unknown): V1Envelope[] {
  if (!Array.isArray(parsed)) throw invalid(`expected a JSON array of samples, got ${describe(parsed)}`);
  for (let i = 0; i < parsed.length; i++) {
    const problem = envelopeProblem(parsed[i]);
    if (problem !== undefined) throw invalid(`[${i}]${problem}`);
  }
  return parsed as V1Envelope[];
}

function invalid(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_V1_PAYLOAD', detail);
}

function envelopeProblem(envelope: unknown): string | undefined {
  if (!isJsonObject(envelope)) return `: expected an envelope object, got ${describe(envelope)}`;
  const { type, metric, data } = envelope;
  if (typeof metric !== 'string' || metric === '') return `.metric: expected a non-empty string, got ${describe(metric)}`;
  if (!isJsonObject(data)) return `.data: expected an object, got ${describe(data)}`;
  const time = data.time;
  if (typeof time !== 'string' || !DIGITS.test(time)) {
    return `.data.time: expected a string of decimal digits (Unix µs), got ${describe(time)}`;
  }
  if (data.tags !== undefined) {
    const problem = tagsProblem(data.tags);
    if (problem !== undefined) return `.data.tags${problem}`;
  }
  switch (type) {
    case 'Point':
      return pointProblem(data);
    case 'Points':
      return pointsProblem(metric, data);
    case 'AggregatedPoints':
      return aggregatedPointsProblem(metric, data);
    default:
      return `.type: expected "Point", "Points" or "AggregatedPoints", got ${describe(type)}`;
  }
}

function tagsProblem(tags: unknown): string | undefined {
  if (!isJsonObject(tags)) return `: expected an object of strings, got ${describe(tags)}`;
  for (const key in tags) {
    if (typeof tags[key] !== 'string') return `.${key}: expected a string, got ${describe(tags[key])}`;
  }
  return undefined;
}

function pointProblem(data: Record<string, unknown>): string | undefined {
  const type = data.type;
  if (type !== 'counter' && type !== 'gauge' && type !== 'rate' && type !== 'trend') {
    return `.data.type: expected "counter", "gauge", "rate" or "trend" for a Point, got ${describe(type)}`;
  }
  if (typeof data.value !== 'number') return `.data.value: expected a number, got ${describe(data.value)}`;
  return undefined;
}

function pointsProblem(metric: string, data: Record<string, unknown>): string | undefined {
  if (metric !== 'http_req_li_all' && metric !== 'iter_li_all') {
    return `.metric: expected "http_req_li_all" or "iter_li_all" for Points, got ${describe(metric)}`;
  }
  if (data.type !== 'counter') return `.data.type: expected "counter" for Points, got ${describe(data.type)}`;
  const values = data.values;
  if (!isJsonObject(values)) return `.data.values: expected an object of numbers, got ${describe(values)}`;
  let count = 0;
  for (const key in values) {
    if (typeof values[key] !== 'number') return `.data.values.${key}: expected a number, got ${describe(values[key])}`;
    count++;
  }
  return count === 0 ? '.data.values: expected at least one value' : undefined;
}

function aggregatedPointsProblem(metric: string, data: Record<string, unknown>): string | undefined {
  if (metric !== 'http_req_li_all') {
    return `.metric: expected "http_req_li_all" for AggregatedPoints, got ${describe(metric)}`;
  }
  if (data.type !== 'aggregated_trend') {
    return `.data.type: expected "aggregated_trend" for AggregatedPoints, got ${describe(data.type)}`;
  }
  const count = data.count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    return `.data.count: expected a positive integer, got ${describe(count)}`;
  }
  const values = data.values;
  if (!isJsonObject(values)) return `.data.values: expected an object of aggregates, got ${describe(values)}`;
  let metrics = 0;
  for (const key in values) {
    const aggregate = values[key];
    if (!isJsonObject(aggregate)) return `.data.values.${key}: expected an object of numbers, got ${describe(aggregate)}`;
    for (const field in aggregate) {
      if (typeof aggregate[field] !== 'number') {
        return `.data.values.${key}.${field}: expected a number, got ${describe(aggregate[field])}`;
      }
    }
    metrics++;
  }
  return metrics === 0 ? '.data.values: expected at least one aggregate' : undefined;
}
