// Run with: node --test bench/lib/percentiles.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarizeLatencies } from './percentiles.js';

const oneTo = (n) => Float64Array.from({ length: n }, (_, i) => i + 1);

test('nearest-rank percentiles of 1..1000', () => {
  const s = oneTo(1000);
  assert.equal(percentile(s, 50), 500);
  assert.equal(percentile(s, 99), 990);
  assert.equal(percentile(s, 99.9), 999);
  assert.equal(percentile(s, 100), 1000);
  assert.equal(percentile(s, 0.01), 1);
});

test('a percentile whose rank is a whole number is not pushed to the next sample by rounding error', () => {
  // 0.29 * 100 = 29.000000000000004 in floating point
  assert.equal(percentile(oneTo(100), 29), 29);
  assert.equal(percentile(oneTo(10), 70), 7);
});

test('small samples: p99 of fewer than 100 values is the maximum', () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 99), 4);
  assert.equal(percentile([7], 50), 7);
  assert.equal(percentile([], 50), null);
});

test('rejects percentiles outside (0, 100]', () => {
  assert.throws(() => percentile([1], 0), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
});

test('summary sorts unsorted input without modifying it', () => {
  const input = [5, 1, 4, 2, 3];
  assert.deepEqual(summarizeLatencies(input), { count: 5, minMs: 1, p50Ms: 3, p99Ms: 5, p999Ms: 5, maxMs: 5, meanMs: 3 });
  assert.deepEqual(input, [5, 1, 4, 2, 3]);
});

test('summary of no samples has only a zero count', () => {
  assert.deepEqual(summarizeLatencies([]), { count: 0, minMs: null, p50Ms: null, p99Ms: null, p999Ms: null, maxMs: null, meanMs: null });
});

test('summary handles a large sample with a tail', () => {
  const v = new Float64Array(10_000).fill(0.5);
  for (let i = 0; i < 50; i++) v[i * 200] = 10; // 0.5 % at 10 ms: p99 still 0.5, p99.9 = 10
  const s = summarizeLatencies(v);
  assert.equal(s.p50Ms, 0.5);
  assert.equal(s.p99Ms, 0.5);
  assert.equal(s.p999Ms, 10);
  assert.equal(s.maxMs, 10);
});
