// Reading k6 --out json results files: RFC 3339 times to the microsecond in any zone, the Metric
// lines that give each metric its type, gzip found by its magic bytes, and bad lines named.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { K6JsonError, parseLine, parseRfc3339, readK6JsonResults } from '../../src/client/index.js';
import type { StreamMetricType, StreamSample } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/relayd.js';

const METRIC = '{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}';
const POINT = '{"type":"Point","data":{"time":"2017-05-09T14:34:45.625742514+02:00","value":40.35,"tags":{"status":"200"},"metadata":{"trace_id":"abc"}},"metric":"http_req_duration"}';

describe('k6 JSON results', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('reads RFC 3339 times in any zone to the microsecond', () => {
    assert.equal(parseRfc3339('2017-05-09T12:34:45.625742514Z'), Date.UTC(2017, 4, 9, 12, 34, 45) + 625.742);
    assert.equal(parseRfc3339('2017-05-09T14:34:45.625742514+02:00'), parseRfc3339('2017-05-09T12:34:45.625742Z'));
    assert.equal(parseRfc3339('2017-05-09T07:34:45-05:00'), Date.UTC(2017, 4, 9, 12, 34, 45));
    assert.equal(parseRfc3339('2017-05-09 12:34:45Z'), null);
    assert.equal(parseRfc3339('yesterday'), null);
  });

  it('types a Point by the Metric line before it, and leaves metadata out', () => {
    const types = new Map<string, StreamMetricType>();
    assert.equal(parseLine(METRIC, 1, types), null);
    assert.deepEqual(parseLine(POINT, 2, types), {
      metric: 'http_req_duration',
      type: 'trend',
      time: Date.UTC(2017, 4, 9, 12, 34, 45) + 625.742,
      tags: { status: '200' },
      value: 40.35,
    });
  });

  it('names the line of a Point without its Metric line, or with a bad time or value', () => {
    const cases: [string, RegExp][] = [
      [POINT, /line 7: metric "http_req_duration" has no Metric line/],
      ['{"type":"Point"', /line 7: not JSON/],
    ];
    for (const [line, message] of cases) assert.throws(() => parseLine(line, 7, new Map()), (err: unknown) => err instanceof K6JsonError && message.test(err.message));
    const types = new Map<string, StreamMetricType>([['vus', 'gauge']]);
    assert.throws(() => parseLine('{"type":"Point","metric":"vus","data":{"time":"2017-05-09T12:34:45Z","value":"ten"}}', 3, types), /line 3: data.value is not a number/);
  });

  it('streams a gzipped file whatever its name, and a plain one, to the same samples', async () => {
    const text = `${METRIC}\n${POINT}\n\n${POINT}`;
    const plain = join(dir.path, 'results.json');
    const gzipped = join(dir.path, 'results.ndjson');
    writeFileSync(plain, text);
    writeFileSync(gzipped, gzipSync(text));
    const read = async (path: string): Promise<StreamSample[]> => {
      const samples: StreamSample[] = [];
      for await (const sample of readK6JsonResults(path).samples) samples.push(sample);
      return samples;
    };
    const fromPlain = await read(plain);
    assert.equal(fromPlain.length, 2);
    assert.deepEqual(await read(gzipped), fromPlain);
  });
});
