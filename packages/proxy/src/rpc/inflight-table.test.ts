import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InflightTable } from './inflight-table.js';

describe('InflightTable', () => {
  it('finds requests by id, misses ids that share a slot, and keeps every entry across growth', () => {
    const t = new InflightTable<{ upstreamId: number }>();
    const a = { upstreamId: 5 };
    t.add(a);
    assert.equal(t.get(5), a);
    assert.equal(t.get(5 + 64), undefined, 'same slot, other id');
    assert.ok(t.taken(5 + 64));
    assert.equal(t.delete(5 + 64), false);
    // Ids handed out in sequence, skipping taken slots (as the mux connection does).
    const many: { upstreamId: number }[] = [];
    let id = 1000;
    while (many.length < 300) {
      while (t.taken(id)) id++;
      const r = { upstreamId: id++ };
      t.add(r);
      many.push(r);
    }
    assert.equal(t.size, 301);
    for (const r of many) assert.equal(t.get(r.upstreamId), r);
    assert.equal(t.get(5), a);
    assert.equal(t.delete(many[0]!.upstreamId), true);
    assert.equal(t.get(many[0]!.upstreamId), undefined);
    assert.equal(t.size, 300);
    const rest = t.drain();
    assert.equal(rest.length, 300);
    assert.equal(t.size, 0);
    assert.equal(t.get(5), undefined);
  });
});
