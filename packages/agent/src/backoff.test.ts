import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('doubles per consecutive crash up to the cap, resets after a long enough run, gives up after maxConsecutive', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 500, resetAfterMs: 10_000, maxConsecutive: 5 });
  assert.deepEqual([1, 2, 3, 4].map(() => b.onCrash(50)), [100, 200, 400, 500]);
  assert.equal(b.onCrash(10_000), 100, 'a run of resetAfterMs starts over');
  assert.deepEqual([1, 2, 3, 4].map(() => b.onCrash(0)), [200, 400, 500, 500]);
  assert.equal(b.consecutiveCrashes, 5);
  assert.equal(b.onCrash(0), undefined, 'the sixth crash in a row gives up');
});

test('maxConsecutive 0 never gives up', () => {
  const b = new Backoff({ initialMs: 1, maxMs: 8, resetAfterMs: 1000, maxConsecutive: 0 });
  for (let i = 0; i < 50; i++) assert.notEqual(b.onCrash(0), undefined);
  assert.equal(b.onCrash(0), 8);
});
