import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamTable } from './stream-table.js';

function check(t: StreamTable<string>, m: Map<number, string>): void {
  assert.equal(t.size, m.size);
  for (const [k, v] of m) assert.equal(t.get(k), v, `id ${k}`);
  assert.deepEqual(t.values().sort(), [...m.values()].sort());
}

test('StreamTable behaves like a Map under stream-like churn (ids rising, closing out of order, growing past its size)', () => {
  const t = new StreamTable<string>(4);
  const m = new Map<number, string>();
  let seed = 7;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  let next = 1;
  for (let op = 0; op < 20000; op++) {
    // Phases: grow to a few hundred open streams, then drain, then churn around a dozen.
    const target = op < 6000 ? 300 : op < 9000 ? 0 : 12;
    const open = [...m.keys()];
    if (m.size < target || (m.size === target && rnd(2) === 0) || open.length === 0) {
      const id = next;
      next += 2;
      t.set(id, `s${id}`);
      m.set(id, `s${id}`);
    } else {
      const id = open[rnd(open.length)] as number;
      assert.equal(t.delete(id), true);
      m.delete(id);
    }
    assert.equal(t.get(next), undefined);
    assert.equal(t.delete(next), false);
    if (op % 97 === 0) check(t, m);
  }
  check(t, m);
  t.set(1, 'replaced');
  t.set(1, 'again');
  assert.equal(t.get(1), 'again');
});

test('StreamTable: even (server-initiated) ids and a large id', () => {
  const t = new StreamTable<number>();
  for (let id = 2; id <= 400; id += 2) t.set(id, id);
  t.set(0x7fffffff, 1);
  for (let id = 2; id <= 400; id += 4) assert.equal(t.delete(id), true);
  assert.equal(t.size, 101);
  for (let id = 4; id <= 400; id += 4) assert.equal(t.get(id), id);
  assert.equal(t.get(0x7fffffff), 1);
});
