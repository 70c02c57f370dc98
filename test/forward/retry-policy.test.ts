import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, classifyResponse, parseRetryAfter } from '../../src/forward/index.js';

const policy = { initialDelayMs: 250, maxDelayMs: 30_000, multiplier: 2 };

describe('retry policy', () => {
  it('draws the first retry from [0, 250 ms) with full jitter', () => {
    assert.equal(backoffDelay(policy, 1, undefined, 0), 0);
    assert.equal(backoffDelay(policy, 1, undefined, 0.999), 249);
    assert.equal(backoffDelay(policy, 1, undefined, 0.5), 125);
  });

  it('doubles the bound per attempt up to the 30 s cap', () => {
    assert.equal(backoffDelay(policy, 2, undefined, 0.5), 250);
    assert.equal(backoffDelay(policy, 5, undefined, 0.5), 2000);
    assert.equal(backoffDelay(policy, 8, undefined, 0.5), 15_000);
    assert.equal(backoffDelay(policy, 9, undefined, 0.5), 15_000);
    assert.equal(backoffDelay(policy, 60, undefined, 0.999), 29_970);
  });

  it('never waits less than Retry-After, and caps absurd ones at 10 minutes', () => {
    assert.equal(backoffDelay(policy, 1, 3000, 0.5), 3000);
    assert.equal(backoffDelay(policy, 9, 1000, 0.9), 27_000);
    assert.equal(backoffDelay(policy, 1, 86_400_000, 0), 600_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('7', 0), 7000);
    const now = Date.parse('Sat, 28 Nov 2026 10:00:00 GMT');
    assert.equal(parseRetryAfter('Sat, 28 Nov 2026 10:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('upstream outcome', () => {
  const respond = (status: number, headers: Record<string, string> = {}) =>
    classifyResponse({ status, headers, body: Buffer.from('{"error":{"code":4}}') }, 0);

  it('treats any 2xx as delivered', () => {
    assert.equal(respond(200).kind, 'delivered');
    assert.equal(respond(204).kind, 'delivered');
  });

  it('retries 408, 429 and 5xx, carrying the status and Retry-After', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) assert.deepEqual(respond(status), { kind: 'retry', reason: `HTTP ${status}: {"error":{"code":4}}`, status }, `status ${status}`);
    assert.deepEqual(respond(429, { 'retry-after': '3' }), { kind: 'retry', reason: 'HTTP 429: {"error":{"code":4}}', status: 429, retryAfterMs: 3000 });
  });

  it('refuses other 4xx for good, with the cloud’s reason', () => {
    for (const status of [400, 401, 403, 404, 409, 413]) {
      const outcome = respond(status);
      assert.equal(outcome.kind, 'reject', `status ${status}`);
      assert.match(outcome.kind === 'reject' ? outcome.reason : '', new RegExp(`^HTTP ${status}: `));
    }
  });
});
