import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../host.js';
import { lbDeps, mkHost, mkHosts, mkSet, seededRandom } from '../test-hosts.js';
import { xxHash64 } from './hash.js';
import { Ring, RingHashLoadBalancer, type RingHashOptions } from './ring-hash.js';

const OPTS: RingHashOptions = { minimumRingSize: 1024, maximumRingSize: 8 * 1024 * 1024, hashFunction: 'XX_HASH', useHostnameForHashing: false };

function lbFor(hosts: Host[], opts: RingHashOptions = OPTS): RingHashLoadBalancer {
  const lb = new RingHashLoadBalancer(lbDeps(), opts);
  lb.refresh([mkSet(hosts)]);
  return lb;
}

function keys(n: number): number[] {
  const r = seededRandom(42);
  return Array.from({ length: n }, () => r());
}

describe('RingHashLoadBalancer', () => {
  it('sends the same hash to the same host', () => {
    const lb = lbFor(mkHosts(5));
    for (const h of keys(200)) assert.equal(lb.chooseHost({ hash: h }), lb.chooseHost({ hash: h }));
  });

  it('builds the ring from "<ip:port>_<i>" xxHash64 points (high 32 bits), sorted', () => {
    const host = mkHost('10.0.0.1', { port: 90 });
    const ring = new Ring([host], { ...OPTS, minimumRingSize: 4 });
    const expected = [0, 1, 2, 3].map((i) => Number(xxHash64(`10.0.0.1:90_${i}`) >> 32n)).sort((a, b) => a - b);
    assert.deepEqual([...ring.points], expected);
  });

  it('gives 2, 1, 2, 1 hashes to four equal hosts with a ring capped at 6 (Envoy comment example)', () => {
    const hosts = mkHosts(4);
    const ring = new Ring(hosts, { ...OPTS, minimumRingSize: 6, maximumRingSize: 6 });
    const counts = hosts.map((h) => ring.hosts.filter((x) => x === h).length);
    assert.deepEqual(counts, [2, 1, 2, 1]);
  });

  it('replicates hosts in proportion to their weight', () => {
    const hosts = [mkHost('10.0.0.1', { weight: 1 }), mkHost('10.0.0.2', { weight: 3 })];
    const ring = new Ring(hosts, OPTS);
    // min normalized weight 0.25: scale = ceil(0.25 * 1024) / 0.25 = 1024.
    assert.equal(ring.points.length, 1024);
    assert.equal(ring.minHashesPerHost, 256);
    assert.equal(ring.maxHashesPerHost, 768);
  });

  it('moves only about 1/N of the keys when a host is removed', () => {
    const hosts = mkHosts(10);
    const before = lbFor(hosts);
    const removed = hosts[3] as Host;
    const after = lbFor(hosts.filter((h) => h !== removed));
    const ks = keys(20000);
    let moved = 0;
    for (const k of ks) {
      const a = before.chooseHost({ hash: k });
      const b = after.chooseHost({ hash: k });
      assert.notEqual(b, removed);
      if (a !== b) moved++;
    }
    // The removed host's keys (~10%) move, plus those taken by the extra points the ring scale gives the others.
    assert.ok(moved / ks.length > 0.05 && moved / ks.length < 0.25, `moved ${moved / ks.length}`);
  });

  it('wraps hashes above the last point to the first point', () => {
    const ring = new Ring(mkHosts(3), OPTS);
    const last = ring.points[ring.points.length - 1] as number;
    assert.equal(ring.pick(0xffffffff), ring.hosts[0]);
    if (last < 0xffffffff) assert.equal(ring.pick(last + 1), ring.hosts[0]);
    assert.equal(ring.pick(ring.points[5] as number), ring.hosts[5]);
  });

  it('supports MURMUR_HASH_2 and hostnames as hash keys', () => {
    const hosts = [mkHost('10.0.0.1', { hostname: 'a.example' }), mkHost('10.0.0.2', { hostname: 'b.example' })];
    const lb = lbFor(hosts, { ...OPTS, hashFunction: 'MURMUR_HASH_2', useHostnameForHashing: true });
    const renumbered = [mkHost('10.9.9.1', { hostname: 'a.example' }), mkHost('10.9.9.2', { hostname: 'b.example' })];
    const lb2 = lbFor(renumbered, { ...OPTS, hashFunction: 'MURMUR_HASH_2', useHostnameForHashing: true });
    for (const k of keys(100)) assert.equal(lb.chooseHost({ hash: k })?.hostname, lb2.chooseHost({ hash: k })?.hostname);
  });

  it('uses a random hash when the request has none', () => {
    const lb = lbFor(mkHosts(4));
    const seen = new Set<Host | undefined>();
    for (let i = 0; i < 200; i++) seen.add(lb.chooseHost(undefined));
    assert.equal(seen.size, 4);
  });

  it('excludes unhealthy hosts unless in panic', () => {
    const hosts = mkHosts(4, 3);
    const lb = lbFor(hosts);
    for (const k of keys(500)) assert.notEqual(lb.chooseHost({ hash: k }), hosts[3]);
  });
});
