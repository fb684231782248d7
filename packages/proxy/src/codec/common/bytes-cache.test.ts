import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BytesCache } from './bytes-cache.js';

describe('BytesCache', () => {
  it('finds a value by exact bytes or by a key the bytes start with, from a copy of the key', () => {
    const c = new BytesCache<string>(2);
    const wire = Buffer.from('xxheadertail');
    c.set(wire, 2, 8, 'header');
    wire.fill(0x2d, 2, 8); // the read buffer changes; the cache kept its own copy
    const next = Buffer.from('--headerTAIL');
    assert.equal(c.exact(next, 2, 8), 'header');
    assert.equal(c.exact(next, 2, 9), undefined, 'exact needs the same length');
    assert.equal(c.prefix(next, 2, next.length), 'header');
    assert.equal(c.prefix(next, 2, 7), undefined, 'shorter than the key');
    assert.equal(c.prefix(Buffer.from('headex'), 0, 6), undefined);
  });

  it('keeps the most recently used entries and evicts the least recently used one', () => {
    const c = new BytesCache<number>(2);
    const b = Buffer.from('aabbcc');
    c.set(b, 0, 2, 1);
    c.set(b, 2, 4, 2);
    assert.equal(c.exact(b, 0, 2), 1); // 'aa' moves to the front
    c.set(b, 4, 6, 3); // evicts 'bb'
    assert.equal(c.exact(b, 2, 4), undefined);
    assert.equal(c.exact(b, 0, 2), 1);
    assert.equal(c.exact(b, 4, 6), 3);
  });

  it('prefixIn compares through a DataView at any offset, a difference in any word or in the tail missing', () => {
    const c = new BytesCache<string>(4);
    const key = Buffer.from('0123456789abc'); // 13 bytes: three words and a one-byte tail
    c.set(key, 0, key.length, 'k');
    const ab = new ArrayBuffer(64);
    const wire = Buffer.from(ab, 7, 40);
    key.copy(wire, 5);
    const view = new DataView(ab);
    const at = 7 + 5;
    assert.equal(c.prefixIn(view, at, 20), 'k');
    assert.equal(c.prefixIn(view, at, 13), 'k');
    assert.equal(c.prefixIn(view, at, 12), undefined, 'fewer bytes there than the key');
    for (const i of [0, 3, 4, 11, 12]) {
      wire[5 + i] = (wire[5 + i] as number) ^ 0x20;
      assert.equal(c.prefixIn(view, at, 20), undefined, `byte ${i} differs`);
      wire[5 + i] = (wire[5 + i] as number) ^ 0x20;
    }
    assert.equal(c.prefixIn(view, at + 1, 19), undefined);
  });
});
