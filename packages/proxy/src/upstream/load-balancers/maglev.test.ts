import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../host.js';
import { lbDeps, mkHost, mkHosts, mkSet, seededRandom } from '../test-hosts.js';
import { MaglevLoadBalancer, MaglevTable } from './maglev.js';

function count(table: MaglevTable, h: Host): number {
  let n = 0;
  for (const x of table.table) if (x === h) n++;
  return n;
}

describe('MaglevLoadBalancer', () => {
  it('fills every slot of the table', () => {
    const hosts = mkHosts(3);
    const t = new MaglevTable(hosts, 7, false);
    assert.equal(t.table.length, 7);
    for (const h of t.table) assert.ok((hosts as Host[]).includes(h));
  });

  it('gives equal hosts an equal share of the default 65537 slots', () => {
    const hosts = mkHosts(4);
    const t = new MaglevTable(hosts, 65537, false);
    for (const h of hosts) {
      const n = count(t, h);
      assert.ok(n === 16384 || n === 16385, `host got ${n}`);
    }
  });

  it('fills the table in proportion to weights', () => {
    const hosts = [mkHost('10.0.0.1', { weight: 1 }), mkHost('10.0.0.2', { weight: 2 }), mkHost('10.0.0.3', { weight: 3 })];
    const t = new MaglevTable(hosts, 65537, false);
    const shares = hosts.map((h) => count(t, h) / 65537);
    [1 / 6, 2 / 6, 3 / 6].forEach((want, i) => assert.ok(Math.abs((shares[i] as number) - want) < 0.002, `share ${shares[i]}`));
  });

  it('sends the same hash to the same host and looks up table[hash % size]', () => {
    const lb = new MaglevLoadBalancer(lbDeps(), 65537, false);
    const hosts = mkHosts(5);
    lb.refresh([mkSet(hosts)]);
    const t = new MaglevTable(hosts, 65537, false);
    const r = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const h = r();
      assert.equal(lb.chooseHost({ hash: h }), t.table[h % 65537]);
      assert.equal(lb.chooseHost({ hash: h }), lb.chooseHost({ hash: h }));
    }
  });

  it('moves few slots beyond those of a removed host', () => {
    const hosts = mkHosts(10);
    const removed = hosts[6] as Host;
    const before = new MaglevTable(hosts, 65537, false);
    const after = new MaglevTable(
      hosts.filter((h) => h !== removed),
      65537,
      false,
    );
    let moved = 0;
    for (let i = 0; i < 65537; i++) if (before.table[i] !== after.table[i]) moved++;
    const removedSlots = count(before, removed);
    assert.ok(moved >= removedSlots);
    assert.ok(moved / 65537 < 0.2, `moved ${moved / 65537}`);
  });

  it('returns no host for an empty set', () => {
    const lb = new MaglevLoadBalancer(lbDeps(), 7, false);
    lb.refresh([mkSet([])]);
    assert.equal(lb.chooseHost({ hash: 1 }), undefined);
  });
});
