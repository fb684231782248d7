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

  it('prefixIn compares a word at a time at any alignment, a difference in any byte missing', () => {
    const key = Buffer.from('0123456789abcd'); // 14 bytes
    for (let shift = 0; shift < 4; shift++) {
      const c = new BytesCache<string>(4);
      c.set(key, 0, key.length, 'k');
      const ab = new ArrayBuffer(64);
      const words = new Int32Array(ab, 0, 16);
      const wire = Buffer.from(ab, 4, 40); // a Buffer that does not start at the ArrayBuffer's start
      const start = 3 + shift;
      key.copy(wire, start);
      const abs = 4 + start;
      assert.equal(c.prefixIn(wire, start, 20, words, abs), 'k', `shift ${shift}`);
      assert.equal(c.prefixIn(wire, start, 14, words, abs), 'k');
      assert.equal(c.prefixIn(wire, start, 13, words, abs), undefined, 'fewer bytes there than the key');
      for (let i = 0; i < key.length; i++) {
        wire[start + i] = (wire[start + i] as number) ^ 0x20;
        assert.equal(c.prefixIn(wire, start, 20, words, abs), undefined, `shift ${shift}: byte ${i} differs`);
        wire[start + i] = (wire[start + i] as number) ^ 0x20;
      }
      assert.equal(c.prefixIn(wire, start + 1, 19, words, abs + 1), undefined);
    }
  });
});
