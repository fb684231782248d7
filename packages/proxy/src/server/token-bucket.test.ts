import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('local rate limit token bucket', () => {
  it('starts full, empties, and refills tokens_per_fill per whole fill_interval, capped at max_tokens', () => {
    let t = 1000;
    const b = new TokenBucket(3, 2, 100, () => t);
    assert.equal(b.consume(), true);
    assert.equal(b.consume(), true);
    assert.equal(b.consume(), true);
    assert.equal(b.consume(), false);
    assert.equal(b.remaining(), 0);
    t += 99;
    assert.equal(b.consume(), false);
    t += 1;
    assert.equal(b.remaining(), 2);
    t += 1000;
    assert.equal(b.remaining(), 3);
  });

  it('keeps the fill phase: a partial interval is not lost by a refill', () => {
    let t = 0;
    const b = new TokenBucket(1, 1, 100, () => t);
    assert.equal(b.consume(), true);
    t = 150;
    assert.equal(b.consume(), true);
    t = 199;
    assert.equal(b.consume(), false);
    t = 200;
    assert.equal(b.consume(), true);
  });

  it('reports whole seconds until the next fill', () => {
    let t = 0;
    const b = new TokenBucket(1, 1, 2500, () => t);
    assert.equal(b.resetSeconds(), 3);
    t = 1600;
    assert.equal(b.resetSeconds(), 1);
  });
});
