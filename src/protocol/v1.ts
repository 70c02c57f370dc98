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

import { RelaydError } from '../errors.js';
import { type DecodeLimits, gunzipBounded, gunzipBoundedSync, normaliseContentEncoding } from './compression.js';
import { describe, isJsonObject, parseJson } from './json.js';

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

/** The body inflated by `gunzip` (sync or async) when it is gzip, as it is when it has no coding. */
function inflate<T>(
  body: Uint8Array,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
  gunzip: (body: Uint8Array, maxBytes: number) => T,
): T | Uint8Array {
  const coding = normaliseContentEncoding(contentEncoding);
  if (coding === 'gzip') return gunzip(body, limits.maxDecompressedBytes);
  if (coding !== 'identity') {
    throw new RelaydError('RELAYD_UNSUPPORTED_ENCODING', `"${contentEncoding}" on an API v1 push (expected gzip or none)`);
  }
  if (body.length > limits.maxDecompressedBytes) {
    throw new RelaydError('RELAYD_BODY_TOO_LARGE', `${body.length} bytes, limit is ${limits.maxDecompressedBytes}`);
  }
  return body;
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
