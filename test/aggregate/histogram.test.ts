import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSpans, encodeSpans, EXTRA_HIGH, EXTRA_LOW, histogramIndex } from '../../src/aggregate/index.js';
import { sequence } from './builders.js';

test('histogramIndex gives the worked indices of §6.4', () => {
  const worked: [number, number][] = [
    [0, 0],
    [0.0004, 1],
    [0.001, 1],
    [0.256, 256],
    [1, 506],
    [120.5, 1387],
    [121, 1388],
    [123.4567, 1393],
    [350, 1578],
    [60000, 2532],
  ];
  for (const [ms, index] of worked) assert.equal(histogramIndex(ms), index, `${ms} ms`);
});

test('values below zero are extra low, and above 2^63 − 1 or NaN extra high', () => {
  assert.equal(histogramIndex(-0.000001), EXTRA_LOW);
  assert.equal(histogramIndex(-Infinity), EXTRA_LOW);
  assert.equal(histogramIndex(-0), 0);
  assert.equal(histogramIndex(2 ** 63, 1), 7296, '2^63 is still trackable: the largest index');
  assert.equal(histogramIndex(2 ** 64, 1), EXTRA_HIGH);
  assert.equal(histogramIndex(1e20), EXTRA_HIGH, '1e20 ms scales to 1e23');
  assert.equal(histogramIndex(Infinity), EXTRA_HIGH);
  assert.equal(histogramIndex(Number.NaN), EXTRA_HIGH);
});

test('indices stay exact across 2^31, where 32-bit operators would overflow', () => {
  // e = floor(log2 u) − 7, index = 128·e + ⌊u / 2^e⌋
  assert.equal(histogramIndex(2 ** 31 - 1, 1), 23 * 128 + 255);
  assert.equal(histogramIndex(2 ** 31, 1), 24 * 128 + 128);
  assert.equal(histogramIndex(2 ** 32 - 1, 1), 24 * 128 + 255);
  assert.equal(histogramIndex(2 ** 40, 1), 33 * 128 + 128);
  assert.equal(histogramIndex(2 ** 53 - 1, 1), 45 * 128 + 255);
});

test('every index decodes to a range that holds the value it came from', () => {
  const next = sequence(5);
  for (let i = 0; i < 5000; i++) {
    const u = Math.floor(2 ** (next() * 62));
    const index = histogramIndex(u, 1);
    if (u < 256) {
      assert.equal(index, u);
      continue;
    }
    // §6.4: e = (i >> 7) − 1, m = (i & 127) + 128, u ∈ [m·2^e, (m+1)·2^e − 1]
    const e = (index >> 7) - 1;
    const m = (index & 127) + 128;
    assert.ok(u >= m * 2 ** e && u <= (m + 1) * 2 ** e - 1, `u=${u} index=${index}`);
  }
});

test('spans encode the §6.4 example and decode back', () => {
  const encoded = encodeSpans({ 1387: 1, 1388: 1, 1578: 1 });
  assert.deepEqual(encoded, {
    counters: [1, 1, 1],
    spans: [
      { offset: 1387, length: 2 },
      { offset: 189, length: 1 },
    ],
  });
  assert.deepEqual(decodeSpans(encoded.counters, encoded.spans), { 1387: 1, 1388: 1, 1578: 1 });
});

test('spans encode an empty histogram as nothing and index 0 as an offset of 0', () => {
  assert.deepEqual(encodeSpans({}), { counters: [], spans: [] });
  assert.deepEqual(decodeSpans([], []), {});
  assert.deepEqual(encodeSpans({ 0: 4, 2: 1 }), {
    counters: [4, 1],
    spans: [
      { offset: 0, length: 1 },
      { offset: 1, length: 1 },
    ],
  });
});

test('random sparse histograms survive an encode and decode round trip', () => {
  const next = sequence(9);
  for (let round = 0; round < 200; round++) {
    const counts: Record<number, number> = {};
    const size = Math.floor(next() * 40);
    for (let i = 0; i < size; i++) counts[Math.floor(next() * 7297)] = 1 + Math.floor(next() * 1000);
    const { counters, spans } = encodeSpans(counts);
    assert.deepEqual(decodeSpans(counters, spans), counts);
  }
});

test('decoding refuses spans that do not cover the counters exactly', () => {
  assert.throws(() => decodeSpans([1], [{ offset: 3, length: 2 }]), RangeError);
  assert.throws(() => decodeSpans([1, 2], [{ offset: 3, length: 1 }]), RangeError);
});
