// One raw sample on the WebSocket stream: what a k6 `--out json` Point carries, with the time as a
// number.
//
//   {"metric":"http_req_duration","type":"trend","time":1700000001123.456,"tags":{"status":"200"},"value":40.35}
//
// Invariants checked at the boundary: `metric` is a non-empty string; `type` one of the four k6
// metric types; `time` Unix milliseconds, finite and ≥ 0 (fractions down to the µs are kept);
// `tags` an object of strings (absent: none); `value` finite. The tag count limit is the batch's check.

import { describe, isJsonObject } from '../json.js';

export type StreamMetricType = 'counter' | 'gauge' | 'rate' | 'trend';

export interface StreamSample {
  metric: string;
  type: StreamMetricType;
  /** Unix milliseconds. */
  time: number;
  tags: Record<string, string>;
  value: number;
}

const METRIC_TYPES: ReadonlySet<unknown> = new Set(['counter', 'gauge', 'rate', 'trend']);

/** Why `value` is not a StreamSample (a path-prefixed reason), or undefined when it is one. */
export function sampleProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return `: expected a sample object, got ${describe(value)}`;
  const { metric, type, time, tags, value: sampleValue } = value;
  if (typeof metric !== 'string' || metric === '') return `.metric: expected a non-empty string, got ${describe(metric)}`;
  if (!METRIC_TYPES.has(type)) return `.type: expected "counter", "gauge", "rate" or "trend", got ${describe(type)}`;
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    return `.time: expected Unix milliseconds (a number ≥ 0), got ${describe(time)}`;
  }
  if (typeof sampleValue !== 'number' || !Number.isFinite(sampleValue)) return `.value: expected a finite number, got ${describe(sampleValue)}`;
  if (tags === undefined) {
    value.tags = {};
    return undefined;
  }
  if (!isJsonObject(tags)) return `.tags: expected an object of strings, got ${describe(tags)}`;
  for (const key in tags) {
    if (typeof tags[key] !== 'string') return `.tags.${key}: expected a string, got ${describe(tags[key])}`;
  }
  return undefined;
}
