import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, ConfigError, loadDefaults, parseByteSize, parseDuration, parseListenAddress } from '../../src/config/index.js';

describe('config units', () => {
  it('parses Go-style durations, bare numbers as seconds', () => {
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('10'), 10_000);
    assert.equal(parseDuration('abc'), null);
    assert.equal(parseDuration('5x'), null);
    assert.equal(parseDuration(''), null);
  });

  it('parses byte sizes in binary and decimal units', () => {
    assert.equal(parseByteSize('32MiB'), 32 * 1024 * 1024);
    assert.equal(parseByteSize('1GB'), 1e9);
    assert.equal(parseByteSize('4096'), 4096);
    assert.equal(parseByteSize('12 parsecs'), null);
  });

  it('parses listen addresses, IPv6 in brackets', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:6580'), { host: '127.0.0.1', port: 6580 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress(':6580'), { host: '0.0.0.0', port: 6580 });
    assert.equal(parseListenAddress('localhost'), null);
    assert.equal(parseListenAddress('1.2.3.4:70000'), null);
  });
});

describe('buildConfig', () => {
  it('builds the documented defaults from config/relayd.yaml', () => {
    const config = buildConfig(loadDefaults());
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 6580 });
    assert.equal(config.upstream, 'https://ingest.k6.io');
    assert.equal(config.dataDir, './relayd-data');
    assert.equal(config.runTimeoutMs, 120_000);
    assert.equal(config.retry.initialDelayMs, 250);
    assert.equal(config.retry.maxDelayMs, 30_000);
    assert.ok(Object.isFrozen(config));
  });

  it('reports every bad option at once, each with its flag and environment twin', () => {
    const raw = { ...loadDefaults(), 'run-timeout': 'soon', upstream: 'ftp://x', 'max-body-size': 'big' };
    assert.throws(
      () => buildConfig(raw),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 3);
        assert.match(err.message, /--run-timeout \(RELAYD_RUN_TIMEOUT\): "soon" is not a duration/);
        assert.match(err.message, /--upstream \(RELAYD_UPSTREAM\): "ftp:\/\/x"/);
        assert.match(err.message, /--max-body-size \(RELAYD_MAX_BODY_SIZE\)/);
        return true;
      },
    );
  });

  it('drops a trailing slash from the upstream (k6 would double it)', () => {
    assert.equal(buildConfig({ ...loadDefaults(), upstream: 'http://127.0.0.1:9/prefix/' }).upstream, 'http://127.0.0.1:9/prefix');
  });
});
