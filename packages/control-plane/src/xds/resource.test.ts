import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceFromBytes, setVersion } from './resource.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from './type-urls.js';

describe('setVersion', () => {
  const a = resourceFromBytes(CLUSTER_TYPE, 'a', Buffer.from('one'));
  const b = resourceFromBytes(CLUSTER_TYPE, 'b', Buffer.from('two'));

  it('depends only on the set: same contents built separately or in another order give the same version', () => {
    const again = [resourceFromBytes(CLUSTER_TYPE, 'b', Buffer.from('two')), resourceFromBytes(CLUSTER_TYPE, 'a', Buffer.from('one'))];
    assert.equal(setVersion([a, b]), setVersion(again));
    assert.match(setVersion([a, b]), /^2-[0-9a-f]{32}$/);
    assert.equal(setVersion([]), `0-${'0'.repeat(32)}`);
  });

  it('changes when a resource changes content, name or type, or when one is added or removed', () => {
    const base = setVersion([a, b]);
    const seen = new Set([
      base,
      setVersion([a, resourceFromBytes(CLUSTER_TYPE, 'b', Buffer.from('2'))]),
      setVersion([a, resourceFromBytes(CLUSTER_TYPE, 'c', Buffer.from('two'))]),
      setVersion([a, resourceFromBytes(ENDPOINT_TYPE, 'b', Buffer.from('two'))]),
      setVersion([a]),
      setVersion([a, b, b]),
    ]);
    assert.equal(seen.size, 6);
  });
});
