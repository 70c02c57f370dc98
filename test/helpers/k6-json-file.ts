// A k6 `--out json` results file made from the samples of a real k6 run: the v1 capture's envelopes
// (480 HTTP requests with their real tags and timings, iterations, checks, vus), written back as
// the NDJSON k6 writes (a `Metric` line before each metric's first `Point`; times in RFC 3339 with
// a zone offset and nanosecond digits, trailing zeros trimmed, as Go prints them). A real k6 binary
// is not available to the tests; this file has every feature of one that relayd reads.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { V1Envelope } from '../../src/aggregate/index.js';
import type { StreamMetricType, StreamSample } from '../../src/protocol/index.js';
import { capturedV1Envelopes } from '../aggregate/builders.js';

const PACKED_TYPES: Record<string, StreamMetricType> = {
  http_reqs: 'counter',
  http_req_failed: 'rate',
  data_sent: 'counter',
  data_received: 'counter',
  iterations: 'counter',
};

/** The samples k6 measured in the v1 capture, one per value, in capture order; times in µs. */
export function capturedSamples(): { metric: string; type: StreamMetricType; timeUs: number; tags: Record<string, string>; value: number }[] {
  return capturedV1Envelopes('v1').flatMap((envelope: V1Envelope) => {
    const timeUs = Number(envelope.data.time);
    const tags = envelope.data.tags ?? {};
    if (envelope.type === 'Point') return [{ metric: envelope.metric, type: envelope.data.type as StreamMetricType, timeUs, tags, value: envelope.data.value }];
    if (envelope.type === 'Points') {
      return Object.entries(envelope.data.values).map(([metric, value]) => ({ metric, type: PACKED_TYPES[metric] ?? 'trend', timeUs, tags, value }));
    }
    return [];
  });
}

/** Go's RFC3339Nano in a +02:00 zone: 2026-11-28T08:51:03.353561+02:00 */
export function rfc3339(timeUs: number): string {
  const zoneMs = 2 * 3_600_000;
  const local = new Date(Math.floor(timeUs / 1000) + zoneMs).toISOString().slice(0, 19);
  const fraction = String(timeUs % 1_000_000).padStart(6, '0').concat('000').replace(/0+$/, '');
  return `${local}${fraction === '' ? '' : `.${fraction}`}+02:00`;
}

export interface ResultsFile {
  /** The samples as relayd should read them (time in Unix ms). */
  readonly samples: StreamSample[];
  readonly lines: number;
}

/** Writes the capture's samples as a k6 JSON results file, gzipped when the path ends in .gz. */
export function writeResultsFile(path: string, options: { badLineAfter?: number } = {}): ResultsFile {
  const declared = new Set<string>();
  const lines: string[] = [];
  const samples: StreamSample[] = [];
  for (const sample of capturedSamples()) {
    if (options.badLineAfter !== undefined && samples.length === options.badLineAfter) lines.push('{"type":"Point","metric":"vus","data":{"time":"not a time","value":1}}');
    if (!declared.has(sample.metric)) {
      declared.add(sample.metric);
      lines.push(JSON.stringify({ type: 'Metric', data: { name: sample.metric, type: sample.type, contains: sample.type === 'trend' ? 'time' : 'default', thresholds: [], submetrics: null }, metric: sample.metric }));
    }
    lines.push(JSON.stringify({ metric: sample.metric, type: 'Point', data: { time: rfc3339(sample.timeUs), value: sample.value, tags: sample.tags } }));
    samples.push({ metric: sample.metric, type: sample.type, time: sample.timeUs / 1000, tags: sample.tags, value: sample.value });
  }
  const text = `${lines.join('\n')}\n`;
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(text) : text);
  return { samples, lines: lines.length };
}
