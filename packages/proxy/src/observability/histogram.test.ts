import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BUCKETS, HistogramImpl, histogramQuantile, histogramQuantiles } from './histogram.js';

const meta = { tagExtractedName: 'h', tags: [] };

function filled(values: number[]): HistogramImpl {
  const h = new HistogramImpl('h', 'milliseconds', DEFAULT_BUCKETS, meta);
  for (const v of values) h.record(v);
  return h;
}

test('records into the first bucket whose bound is >= the value, overflow last', () => {
  const h = filled([0, 0.5, 0.6, 1, 3600000, 3600001]);
  assert.equal(h.counts[0], 2, '0 and 0.5 are <= 0.5');
  assert.equal(h.counts[1], 2, '0.6 and 1 are <= 1');
  assert.equal(h.counts[18], 1);
  assert.equal(h.counts[19], 1, 'overflow');
  assert.equal(h.count, 6);
  assert.equal(h.sum, 0 + 0.5 + 0.6 + 1 + 3600000 + 3600001);
  assert.equal(h.min, 0);
  assert.equal(h.max, 3600001);
});

test('drops negative and NaN samples', () => {
  const h = filled([-1, NaN, 2]);
  assert.equal(h.count, 1);
});

test('interpolates quantiles inside buckets and pins P0/P100 to min/max', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  const h = filled(values);
  const q = (p: number): number => histogramQuantile(h.bounds, h.counts, h.count, h.min, h.max, p);
  assert.equal(q(0), 1);
  assert.equal(q(1), 100);
  assert.equal(q(0.5), 50);
  assert.equal(q(0.9), 90);
  assert.equal(q(0.25), 25);
  assert.ok(Math.abs(q(0.99) - 99) < 1e-9);
});

test('a single repeated value gives that value for every quantile', () => {
  const h = filled([42, 42, 42]);
  for (const v of histogramQuantiles(h.bounds, h.counts, h.count, h.min, h.max)) assert.equal(v, 42);
});

test('quantiles of an empty histogram are NaN', () => {
  const h = filled([]);
  assert.ok(histogramQuantiles(h.bounds, h.counts, h.count, h.min, h.max).every(Number.isNaN));
});

test('quantiles in the overflow bucket stay within the observed maximum', () => {
  const h = filled([4_000_000, 5_000_000]);
  const p50 = histogramQuantile(h.bounds, h.counts, h.count, h.min, h.max, 0.5);
  assert.ok(p50 >= 4_000_000 && p50 <= 5_000_000, String(p50));
});
