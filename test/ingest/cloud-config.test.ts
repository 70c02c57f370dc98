import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOperatorCreate, k6Version, sanitizeCloudConfig, withOperatorSettings } from '../../src/ingest/index.js';

describe('create answer config for k6', () => {
  it('never passes host through and switches traces off', () => {
    const safe = sanitizeCloudConfig({ host: 'https://ingest.k6.io', traceHost: 'x:443', tracesEnabled: true, webAppURL: 'https://app' }, 'k6cloud/0.48.0');
    assert.deepEqual(safe, { tracesEnabled: false, webAppURL: 'https://app' });
  });

  it('keeps webAppURL, testRunDetails and harmless overrides', () => {
    const config = { webAppURL: 'https://a', testRunDetails: 'https://a/runs/1', metricPushInterval: '1s', aggregationPeriod: '3s' };
    assert.deepEqual(sanitizeCloudConfig(config, 'k6cloud/0.48.0'), { ...config, tracesEnabled: false });
  });

  it('drops what would make k6 fail: apiVersion 1 on k6 >= 0.50, push concurrency 0, fractional v2 periods', () => {
    const safe = sanitizeCloudConfig({ apiVersion: 1, metricPushConcurrency: 0, aggregationPeriod: '1.5s', aggregationWaitPeriod: 0 }, 'k6cloud/1.2.0');
    assert.deepEqual(safe, { tracesEnabled: false });
  });

  it('keeps apiVersion 1 and v1 aggregation for k6 versions that still have v1', () => {
    const config = { apiVersion: 1, aggregationPeriod: '3s', aggregationMinSamples: 25 };
    assert.deepEqual(sanitizeCloudConfig(config, 'k6cloud/0.47.0'), { ...config, tracesEnabled: false });
  });

  it('reads the k6 version from the User-Agent', () => {
    assert.deepEqual(k6Version('k6cloud/0.48.0'), [0, 48]);
    assert.deepEqual(k6Version('k6cloud/2.2.0'), [2, 2]);
    assert.equal(k6Version('curl/8'), null);
  });
});

describe('create answer config for the k6-operator', () => {
  it('tells the operator’s create (instances, process_thresholds) from k6’s', () => {
    assert.equal(isOperatorCreate({ instances: 2 }), true);
    assert.equal(isOperatorCreate({ process_thresholds: true }), true);
    assert.equal(isOperatorCreate({}), false);
  });

  it('fills in k6’s defaults where the four settings are missing or not positive, and keeps the rest', () => {
    const config = { aggregationPeriod: '5s', aggregationWaitPeriod: '0s', metricPushConcurrency: 0, webAppURL: 'https://app' };
    assert.deepEqual(withOperatorSettings(config), {
      aggregationPeriod: '5s',
      aggregationWaitPeriod: '8s',
      metricPushInterval: '1s',
      metricPushConcurrency: 1,
      webAppURL: 'https://app',
    });
    const complete = { aggregationPeriod: 2000, aggregationWaitPeriod: '4s', metricPushInterval: '2s', metricPushConcurrency: 3 };
    assert.deepEqual(withOperatorSettings(complete), complete, 'positive values, numbers (ms) included, stay');
  });
});
