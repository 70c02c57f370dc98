import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kthSmallest, normalBounds, quartiles } from '../../src/aggregate/index.js';
import { sequence } from './builders.js';

const IQR = { iqrRadius: 0.25, iqrCoefLower: 1.5, iqrCoefUpper: 1.3 };

test('the sort method interpolates linearly and truncates to whole nanoseconds', () => {
  // sorted [10,20,30,40], last = 3: Q1 at 0.75 → 10 + trunc(10·0.75) = 17; Q3 at 2.25 → 30 + trunc(10·0.25) = 32
  assert.deepEqual(quartiles(Float64Array.of(40, 10, 30, 20), 'interpolated-sort', 0.25), { q1: 17, q3: 32 });
});

test('the quickselect method takes the k-th smallest at the rounded position', () => {
  // positions 0.75 and 2.25 round to 1 and 2
  assert.deepEqual(quartiles(Float64Array.of(40, 10, 30, 20), 'quickselect', 0.25), { q1: 20, q3: 30 });
});

test('quickselect rounds a half position away from zero where the sort method interpolates', () => {
  // sorted [1,3,5], last = 2: positions 0.5 and 1.5
  assert.deepEqual(quartiles(Float64Array.of(5, 1, 3), 'quickselect', 0.25), { q1: 3, q3: 5 });
  assert.deepEqual(quartiles(Float64Array.of(5, 1, 3), 'interpolated-sort', 0.25), { q1: 2, q3: 4 });
});

test('a radius above one half is clamped so the quartiles become the extremes', () => {
  assert.deepEqual(quartiles(Float64Array.of(30, 10, 40, 20), 'interpolated-sort', 0.7), { q1: 10, q3: 40 });
  assert.deepEqual(quartiles(Float64Array.of(30, 10, 40, 20), 'quickselect', 0.7), { q1: 10, q3: 40 });
});

test('a zero radius puts both quartiles on the median, as the v0.48 zeroed defaults do', () => {
  // position 1.5: interpolated 20 + trunc(10·0.5) = 25; rounded to index 2 → 30
  assert.deepEqual(quartiles(Float64Array.of(10, 20, 30, 40), 'interpolated-sort', 0), { q1: 25, q3: 25 });
  assert.deepEqual(quartiles(Float64Array.of(10, 20, 30, 40), 'quickselect', 0), { q1: 30, q3: 30 });
});

test('fences subtract and add the truncated coefficient times the IQR', () => {
  // sort: Q1 17, Q3 32, IQR 15: 17 − trunc(22.5) = −5, 32 + trunc(19.5) = 51
  assert.deepEqual(normalBounds(Float64Array.of(40, 10, 30, 20), 'interpolated-sort', IQR), { lower: -5, upper: 51 });
  // quickselect: Q1 20, Q3 30, IQR 10: 20 − 15 = 5, 30 + 13 = 43
  assert.deepEqual(normalBounds(Float64Array.of(40, 10, 30, 20), 'quickselect', IQR), { lower: 5, upper: 43 });
});

test('kthSmallest agrees with a full sort for every k, duplicates included', () => {
  const next = sequence(7);
  for (let n = 1; n <= 40; n++) {
    const values = Float64Array.from({ length: n }, () => Math.floor(next() * 12));
    const sorted = values.slice().sort();
    for (let k = 0; k < n; k++) assert.equal(kthSmallest(values.slice(), k), sorted[k], `n=${n} k=${k}`);
  }
});
