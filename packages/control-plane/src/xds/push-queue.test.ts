import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeChanges, PushQueue } from './push-queue.js';
import type { SnapshotChange } from './snapshot.js';

describe('push queue', () => {
  it('merges names per type, and an unbounded member absorbs a bounded one', () => {
    const a: SnapshotChange = { proxies: new Set(['p1']), types: new Map([['T', new Set(['x'])]]) };
    const b: SnapshotChange = { proxies: new Set(['p2']), types: new Map([['T', new Set(['y'])], ['U', undefined]]) };
    const m = mergeChanges(a, b);
    assert.deepEqual([...(m.proxies ?? [])], ['p1', 'p2']);
    assert.deepEqual([...(m.types?.get('T') ?? [])], ['x', 'y']);
    assert.equal(m.types?.has('U'), true);
    assert.equal(m.types?.get('U'), undefined);
    assert.equal(mergeChanges(a, {}).proxies, undefined);
    assert.equal(mergeChanges(a, { types: new Map([['T', undefined]]) }).types?.get('T'), undefined);
  });

  it('flushes a burst once, after the window that started with the first change', async () => {
    const flushed: SnapshotChange[] = [];
    const q = new PushQueue(30, (c) => flushed.push(c));
    q.enqueue({ types: new Map([['T', new Set(['a'])]]) });
    await new Promise((r) => setTimeout(r, 10));
    q.enqueue({ types: new Map([['T', new Set(['b'])]]) });
    assert.equal(flushed.length, 0);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(flushed.length, 1);
    assert.deepEqual([...(flushed[0]?.types?.get('T') ?? [])], ['a', 'b']);
    q.close();
  });
});
