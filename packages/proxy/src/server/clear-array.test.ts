import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clearArray } from './clear-array.js';

test('clearArray empties short and long arrays in place', () => {
  for (const n of [0, 1, 5, 32, 33, 1000]) {
    const a = Array.from({ length: n }, (_, i) => i);
    const same = a;
    clearArray(a);
    assert.equal(a.length, 0);
    assert.equal(a, same);
    a.push(7);
    assert.deepEqual(a, [7]);
  }
});
