import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newRequestId } from './request-id.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('are distinct version 4 UUIDs across several batches', () => {
    const seen = new Set<string>();
    const variants = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = newRequestId();
      assert.match(id, V4);
      seen.add(id);
      variants.add(id.charAt(19));
    }
    assert.equal(seen.size, 5000);
    assert.deepEqual([...variants].sort(), ['8', '9', 'a', 'b']);
  });

  it('uses every hex digit in the random positions', () => {
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const ch of newRequestId().replace(/-/g, '').slice(0, 12)) digits.add(ch);
    assert.equal(digits.size, 16);
  });
});
