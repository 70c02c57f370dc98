// Generated raw samples for the WebSocket stream, as k6's JSON output has them: each HTTP request
// nine samples with one time and one tag set, plus checks and a vus gauge. Batch n is a pure
// function of (n, options), so a client process killed mid-stream can be replaced by another that
// regenerates exactly the batches the first one would have sent.
import type { StreamSample } from '../../src/protocol/index.js';
import { sequence } from '../aggregate/builders.js';

export interface StreamTrafficOptions {
  /** HTTP requests per batch. */
  readonly requestsPerBatch: number;
  /** Unix ms of batch 1; each batch is 100 ms of run time later. */
  readonly startMs: number;
}

const URLS = ['https://test.k6.io/', 'https://test.k6.io/news.php'];

export function streamBatch(seq: number, options: StreamTrafficOptions): StreamSample[] {
  const random = sequence(seq * 7919);
  const samples: StreamSample[] = [];
  const batchStart = options.startMs + (seq - 1) * 100;
  for (let i = 0; i < options.requestsPerBatch; i++) {
    // µs-precise times, as k6 measures them.
    const time = batchStart + Math.floor((i * 100_000) / options.requestsPerBatch) / 1000;
    const url = URLS[i % URLS.length]!;
    const failed = random() < 0.05;
    const tags = { method: 'GET', name: url, url, status: failed ? '503' : '200', scenario: 'default', expected_response: String(!failed) };
    const waiting = Math.round((15 + random() * 40 + (random() < 0.03 ? 300 : 0)) * 1e6) / 1e6;
    const request: [string, StreamSample['type'], number][] = [
      ['http_reqs', 'counter', 1],
      ['http_req_duration', 'trend', waiting + 0.3],
      ['http_req_blocked', 'trend', 0.004],
      ['http_req_connecting', 'trend', 0],
      ['http_req_tls_handshaking', 'trend', 0],
      ['http_req_sending', 'trend', 0.1],
      ['http_req_waiting', 'trend', waiting],
      ['http_req_receiving', 'trend', 0.2],
      ['http_req_failed', 'rate', failed ? 1 : 0],
    ];
    for (const [metric, type, value] of request) samples.push({ metric, type, time, tags, value });
    samples.push({ metric: 'checks', type: 'rate', time, tags: { check: 'status is 200', scenario: 'default' }, value: failed ? 0 : 1 });
  }
  samples.push({ metric: 'vus', type: 'gauge', time: batchStart, tags: {}, value: 10 });
  return samples;
}

export function streamBatches(count: number, options: StreamTrafficOptions): StreamSample[][] {
  return Array.from({ length: count }, (_, i) => streamBatch(i + 1, options));
}
