// Body text for JSON.parse: what it costs outside V8's heap, and that the text is the body's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonText, parseJson } from '../../src/protocol/json.js';

describe('JSON body text', () => {
  it('a body above ~1 MB becomes a string on V8\'s heap, not an external one that only a full collection frees', () => {
    // 2 MiB of ASCII JSON, the size of a one-second v1 push of k6.
    const body = Buffer.from(JSON.stringify(Array.from({ length: 50_000 }, (_, i) => ({ n: i, s: 'x'.repeat(30) }))));
    assert.ok(body.length > 2 * 1024 * 1024);
    const before = process.memoryUsage().external;
    const text = jsonText(body);
    const rise = process.memoryUsage().external - before;
    assert.equal(text.length, body.length);
    assert.equal(text, body.toString('latin1'));
    assert.ok(rise < body.length / 4, `external memory rose by ${rise} bytes for a ${body.length}-byte body`);
  });

  it('parses across the slices, and a non-ASCII body still goes through the UTF-8 check', () => {
    const value = Array.from({ length: 30_000 }, (_, i) => ({ i, name: `request-${i}-${'y'.repeat(40)}` }));
    assert.deepEqual(parseJson(Buffer.from(JSON.stringify(value))), value);
    assert.deepEqual(parseJson(Buffer.from(JSON.stringify({ city: 'Zürich' }))), { city: 'Zürich' });
    assert.throws(() => parseJson(Buffer.from([0x7b, 0xff, 0x7d])), { code: 'RELAYD_BAD_JSON', message: /invalid UTF-8/ });
  });
});
