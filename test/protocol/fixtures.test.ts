import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCreateBody, decodeFinishBody, decodeV1Push, decodeV2Push } from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, FIXTURE_RUN_ID, loadFixture } from '../emulator/fixtures.js';

const limits = { maxDecompressedBytes: 16 * 1024 * 1024 };

/** The number of values in a MetricSet as decoded into the capture's proto3 JSON. */
function countJsonValues(decoded: unknown): number {
  const metricSet = decoded as { metrics?: { time_series?: Record<string, { values?: unknown[] }>[] }[] };
  let values = 0;
  for (const metric of metricSet.metrics ?? []) {
    for (const series of metric.time_series ?? []) {
      for (const key of ['counter_samples', 'gauge_samples', 'rate_samples', 'trend_hdr_samples']) {
        values += series[key]?.values?.length ?? 0;
      }
    }
  }
  return values;
}

for (const folder of FIXTURE_FOLDERS) {
  describe(`k6 v0.48.0 capture ${folder}`, () => {
    for (const fixture of loadFixture(folder)) {
      it(`decodes ${fixture.name} as the capture's decoded JSON says`, async () => {
        const encoding = fixture.headers['content-encoding'];
        switch (fixture.route.kind) {
          case 'create':
            assert.deepEqual(decodeCreateBody(fixture.body), fixture.decoded);
            break;
          case 'finish':
            assert.deepEqual(decodeFinishBody(fixture.body), fixture.decoded);
            break;
          case 'v1-push': {
            const { envelopes, samples } = await decodeV1Push(fixture.body, encoding, limits);
            assert.deepEqual(envelopes, fixture.decoded);
            assert.equal(samples, (fixture.decoded as unknown[]).length);
            assert.equal(samples, Number(fixture.headers['x-payload-sample-count']));
            break;
          }
          case 'v2-push': {
            const { metricSet, samples } = decodeV2Push(fixture.body, encoding, FIXTURE_RUN_ID, limits);
            assert.equal(metricSet.testRunId, FIXTURE_RUN_ID);
            assert.equal(metricSet.aggregationPeriod, 3);
            assert.ok(samples > 0);
            assert.equal(samples, countJsonValues(fixture.decoded));
            break;
          }
        }
      });
    }
  });
}
