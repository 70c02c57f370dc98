import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRelaydError } from '../../src/errors.js';
import { checkV1Tags, checkV2Labels } from '../../src/ingest/tag-limit.js';
import { encodeMetricSet, scanMetricSet, type V1Envelope } from '../../src/protocol/index.js';

function tags(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`tag${i}`, `value${i}`]));
}

function point(tagCount: number | undefined): V1Envelope {
  return { type: 'Point', metric: 'vus', data: { time: '1700000000000000', type: 'gauge', value: 1, ...(tagCount === undefined ? {} : { tags: tags(tagCount) }) } };
}

const tooMany = (where: RegExp) => (err: unknown) => isRelaydError(err) && err.code === 'RELAYD_TOO_MANY_TAGS' && err.status === 400 && where.test(err.message);

describe('tag limit', () => {
  it('takes v1 samples with up to the limit of tags, or none', () => {
    [point(undefined), point(0), point(3)].forEach((envelope, i) => checkV1Tags(envelope, i, 3));
  });

  it('refuses a v1 push naming the first sample over the limit', () => {
    checkV1Tags(point(2), 0, 3);
    assert.throws(() => checkV1Tags(point(4), 1, 3), tooMany(/\[1\]\.data\.tags has 4 tags, limit 3/));
  });

  it('refuses a v2 time series with more labels than the limit, naming it', () => {
    const labels = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `l${i}`, value: 'v' }));
    const counter = (labelCount: number) => ({ labels: labels(labelCount), counterSamples: { values: [{ time: { seconds: 1 }, value: 1 }] } });
    const pb = encodeMetricSet({ testRunId: '1', metrics: [{ name: 'a', type: 1, timeSeries: [counter(2)] }, { name: 'b', type: 1, timeSeries: [counter(1), counter(5)] }] });
    const { mostLabels } = scanMetricSet(pb, '1');
    checkV2Labels(mostLabels, 5);
    assert.throws(() => checkV2Labels(mostLabels, 4), tooMany(/metrics\[1\]\.time_series\[1\] has 5 tags, limit 4/));
  });
});
