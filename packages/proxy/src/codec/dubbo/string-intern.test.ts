import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asciiString } from './string-intern.js';

describe('ascii string intern cache', () => {
  it('returns the exact string for every input, through slot collisions and long strings', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `k${i.toString(36)}`.repeat(1 + (i % 9)));
    for (let round = 0; round < 2; round++) {
      for (const w of words) {
        const buf = Buffer.from(`..${w}..`, 'latin1');
        assert.equal(asciiString(buf, 2, 2 + w.length), w);
      }
    }
    const same = Buffer.from('org.apache.dubbo.demo.DemoService');
    assert.equal(asciiString(same, 0, same.length), asciiString(Buffer.from(same), 0, same.length));
    assert.equal(asciiString(same, 0, 0), '');
  });
});
