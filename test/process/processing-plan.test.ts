// Which runs relayd processes, decided from the configuration when a run is created, and the
// aggregation options as relayd reads them (k6's names, defaults and duration syntax).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, ConfigError, loadDefaults } from '../../src/config/index.js';
import { processingPlanFor } from '../../src/process/index.js';

function config(overrides: Record<string, string> = {}) {
  return buildConfig({ ...loadDefaults(), ...overrides });
}

describe('processing plans', () => {
  it('leaves k6 runs untouched while the aggregation period is 0 (the default)', () => {
    const { aggregation, upstreamProtocol } = config();
    assert.equal(aggregation.periodMs, 0);
    assert.equal(processingPlanFor(aggregation, upstreamProtocol, { kind: 'k6' }), undefined);
  });

  it('aggregates k6 runs into v1 with the period, and transcodes them into v2 with k6 v2’s 3 s when relayd does not aggregate', () => {
    const on = config({ 'aggregation-period': '2s' });
    assert.deepEqual(processingPlanFor(on.aggregation, 'auto', { kind: 'k6' }), {
      output: 'v1', periodMs: 2000, waitPeriodMs: 5000, minSamples: 100, iqrRadius: 0.25, iqrCoefLower: 1.5, iqrCoefUpper: 1.3,
    });
    const v2 = config({ 'upstream-protocol': 'v2' });
    assert.equal(processingPlanFor(v2.aggregation, v2.upstreamProtocol, { kind: 'k6' })?.output, 'v2');
    assert.equal(processingPlanFor(v2.aggregation, v2.upstreamProtocol, { kind: 'k6' })?.periodMs, 3000);
  });

  it('always processes streams: v2 unless v1 is asked for, by the stream or by --upstream-protocol', () => {
    const { aggregation } = config();
    assert.equal(processingPlanFor(aggregation, 'auto', { kind: 'stream' })?.output, 'v2');
    assert.equal(processingPlanFor(aggregation, 'auto', { kind: 'stream', protocol: 'v1' })?.output, 'v1');
    assert.equal(processingPlanFor(aggregation, 'v1', { kind: 'stream' })?.output, 'v1');
    assert.equal(processingPlanFor(aggregation, 'v1', { kind: 'stream', protocol: 'v2' })?.output, 'v2');
  });
});

describe('aggregation options', () => {
  it("take k6's duration syntax: a bare number is milliseconds", () => {
    const { aggregation } = config({ 'aggregation-period': '3000', 'aggregation-wait-period': '8s', 'metric-push-interval': '250' });
    assert.equal(aggregation.periodMs, 3000);
    assert.equal(aggregation.waitPeriodMs, 8000);
    assert.equal(aggregation.pushIntervalMs, 250);
  });

  it('refuse a period that is not whole seconds, and an unknown upstream protocol, naming both', () => {
    assert.throws(
      () => config({ 'aggregation-period': '1500ms', 'upstream-protocol': 'v3' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.includes('aggregation-period') && p.includes('whole number of seconds')) &&
        err.problems.some((p) => p.includes('upstream-protocol') && p.includes('auto, v1, v2')),
    );
  });
});
