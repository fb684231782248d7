import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmurHash2, xxHash64 } from './hash.js';

describe('xxHash64', () => {
  it("matches Envoy's HashUtil::xxHash64 test vectors", () => {
    assert.equal(xxHash64('foo'), 3728699739546630719n);
    assert.equal(xxHash64('bar'), 5234164152756840025n);
    assert.equal(xxHash64('foo\nbar'), 8917841378505826757n);
    assert.equal(xxHash64('lyft'), 4400747396090729504n);
    assert.equal(xxHash64(''), 17241709254077376921n);
  });

  it('hashes inputs of 32 bytes and more (the 4-lane path) and honours the seed', () => {
    // Reference values from the xxHash reference implementation (xxhash-wasm).
    assert.equal(xxHash64('y'.repeat(32)), 0x64da1f1d3495ce66n);
    assert.notEqual(xxHash64('127.0.0.1:80', 1n), xxHash64('127.0.0.1:80'));
  });
});

describe('murmurHash2', () => {
  it("matches libstdc++'s std::hash<std::string> (Envoy's MurmurHash::murmurHash2 with STD_HASH_SEED)", () => {
    assert.equal(murmurHash2(''), 6142509188972423790n);
    assert.equal(murmurHash2('foo'), 9631199822919835226n);
    assert.equal(murmurHash2('foobarbazquxquuxquuzcorgegraultgarplywaldofredplughxyzzythud'), 2974493643103548419n);
    assert.equal(murmurHash2('abcdefgh'), 8664279048047335611n);
    assert.equal(murmurHash2('abcdefghi'), 13036955925923793583n);
  });
});
