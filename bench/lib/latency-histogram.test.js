// Run with: node --test bench/lib/latency-histogram.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketLow, bucketOf, LatencyHistogram } from './latency-histogram.js';
import { summarizeLatencies } from './percentiles.js';

test('buckets are exact below 2,048 us and within 0.1 % above, up to ~35 minutes', () => {
  for (const us of [0, 1, 999, 2047]) assert.equal(bucketLow(bucketOf(us)), us);
  let prev = -1;
  for (let us = 2000; us < 2 ** 31; us = Math.ceil(us * 1.0007) + 1) {
    const b = bucketOf(us);
    assert.ok(b >= prev, `buckets grow with the value (${us})`);
    prev = b;
    const low = bucketLow(b);
    assert.ok(low <= us && us - low <= us / 1024, `${us} us lands in [${low}, +0.1 %)`);
  }
  assert.equal(bucketOf(2 ** 40), bucketOf(2 ** 31 - 1), 'values past the top go to the last bucket');
});

test('percentiles match the nearest-rank ones of percentiles.js on exact buckets', () => {
  const h = new LatencyHistogram();
  const values = [];
  for (let i = 1; i <= 1000; i++) {
    const ms = ((i * 7919) % 1000) / 1000 + 0.05; // 0.05 .. 1.049 ms, shuffled, whole microseconds
    values.push(ms);
    h.recordMs(ms);
  }
  const s = h.summary();
  const ref = summarizeLatencies(values);
  for (const k of ['minMs', 'p50Ms', 'p99Ms', 'p999Ms', 'maxMs']) assert.equal(s[k], Number(ref[k].toFixed(3)), k);
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.meanMs - ref.meanMs) < 1e-9);
});

test('a large value reads back within 0.1 % and never beyond the recorded max; empty gives nulls', () => {
  const h = new LatencyHistogram();
  h.recordMs(123.4567);
  const p = h.percentileMs(50);
  assert.ok(p <= 123.457 && p >= 123.457 * 0.999, String(p));
  assert.equal(h.percentileMs(100), p);
  h.recordMs(-1); // clock steps never make negative buckets
  assert.equal(h.summary().minMs, 0);
  const empty = new LatencyHistogram().summary();
  assert.deepEqual(empty, { count: 0, minMs: null, p50Ms: null, p90Ms: null, p99Ms: null, p999Ms: null, maxMs: null, meanMs: null });
  assert.throws(() => h.percentileMs(0), RangeError);
});
