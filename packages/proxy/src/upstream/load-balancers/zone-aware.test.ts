import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host, Locality } from '../host.js';
import type { HostSet } from '../host-set.js';
import { lbDeps, mkHost, mkSet, seededRandom } from '../test-hosts.js';
import { TestScope } from '../test-scope.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import { ZoneRouting, type ZoneStats } from './zone-aware.js';

const zone = (z: string): Locality => ({ region: 'r', zone: z, subZone: '' });

/** `counts` hosts per zone, addresses 10.<zone letter>.<tag>.<i>. */
function hosts(counts: Record<string, number>, tag: number, healthy: Record<string, number> = counts): Host[] {
  const out: Host[] = [];
  for (const [z, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) out.push(mkHost(`10.${z.charCodeAt(0)}.${tag}.${i}`, { locality: zone(z), healthy: i < (healthy[z] ?? n) }));
  }
  return out;
}

function setup(local: Record<string, number>, upstream: Record<string, number>, opts: { minClusterSize?: number; routingEnabled?: number; upstreamHealthy?: Record<string, number> } = {}) {
  const scope = new TestScope();
  const c = (n: string) => scope.counter(n);
  const stats: ZoneStats = {
    lb_recalculate_zone_structures: c('lb_recalculate_zone_structures'),
    lb_local_cluster_not_ok: c('lb_local_cluster_not_ok'),
    lb_zone_cluster_too_small: c('lb_zone_cluster_too_small'),
    lb_zone_routing_all_directly: c('lb_zone_routing_all_directly'),
    lb_zone_routing_sampled: c('lb_zone_routing_sampled'),
    lb_zone_routing_cross_zone: c('lb_zone_routing_cross_zone'),
    lb_zone_no_capacity_left: c('lb_zone_no_capacity_left'),
  };
  const localSet: HostSet = mkSet(hosts(local, 1));
  const zr = new ZoneRouting(
    { routingEnabled: opts.routingEnabled ?? 100, minClusterSize: opts.minClusterSize ?? 6, failTrafficOnPanic: false },
    { locality: zone('a'), localSet: () => localSet },
    stats,
  );
  const random = seededRandom(12345);
  const lb = new RoundRobinLoadBalancer({ ...lbDeps(random), zone: zr });
  lb.refresh([mkSet(hosts(upstream, 2, opts.upstreamHealthy))]);
  const picks = (n: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const h = lb.chooseHost(undefined);
      const z = h ? h.locality.zone : 'none';
      out[z] = (out[z] ?? 0) + 1;
    }
    return out;
  };
  return { picks, stat: (n: string) => scope.value(n) };
}

describe('zone-aware routing', () => {
  it('routes everything to the local zone when it has at least its share of upstream hosts', () => {
    const { picks, stat } = setup({ a: 1, b: 1 }, { a: 3, b: 3 });
    assert.deepEqual(picks(100), { a: 100 });
    assert.equal(stat('lb_zone_routing_all_directly'), 100);
    assert.equal(stat('lb_recalculate_zone_structures'), 1);
  });

  it('sends the local zone what it can take and the residual to zones with spare capacity', () => {
    // Local proxies: 75% in a, 25% in b. Upstream: 50/50 → 50/75 = 66.66% stays local, the rest goes to b.
    const { picks, stat } = setup({ a: 3, b: 1 }, { a: 3, b: 3 });
    const p = picks(10_000);
    assert.ok(Math.abs((p['a'] ?? 0) - 6666) < 250, JSON.stringify(p));
    assert.equal((p['a'] ?? 0) + (p['b'] ?? 0), 10_000);
    assert.equal(stat('lb_zone_routing_sampled'), p['a']);
    assert.equal(stat('lb_zone_routing_cross_zone'), p['b']);
  });

  it('spreads cross-zone traffic by residual capacity', () => {
    // Local 50/25/25 (a/b/c); upstream a:1 b:2 c:5 → residual b 0, c 37.5%; local share 12.5/50 = 25%.
    const { picks } = setup({ a: 2, b: 1, c: 1 }, { a: 1, b: 2, c: 5 });
    const p = picks(8000);
    assert.ok(Math.abs((p['a'] ?? 0) - 2000) < 250, JSON.stringify(p));
    assert.equal(p['b'], undefined);
  });

  it('does nothing below min_cluster_size or when the local cluster has no host in this zone', () => {
    const small = setup({ a: 1, b: 1 }, { a: 2, b: 2 });
    assert.deepEqual(small.picks(100), { a: 50, b: 50 });
    assert.equal(small.stat('lb_zone_cluster_too_small'), 1);
    const elsewhere = setup({ b: 1, c: 1 }, { a: 3, b: 3 });
    assert.deepEqual(elsewhere.picks(60), { a: 30, b: 30 });
    assert.equal(elsewhere.stat('lb_local_cluster_not_ok'), 1);
  });

  it('routing_enabled 0 keeps normal balancing; health counts (an unhealthy local zone sheds to the others)', () => {
    assert.deepEqual(setup({ a: 1, b: 1 }, { a: 3, b: 3 }, { routingEnabled: 0 }).picks(60), { a: 30, b: 30 });
    // Zone a has 1 healthy of 4 upstream hosts: 1/7 of healthy upstream vs 50% of local proxies.
    const { picks } = setup({ a: 1, b: 1 }, { a: 4, b: 6 }, { upstreamHealthy: { a: 1, b: 6 } });
    const p = picks(7000);
    assert.ok(Math.abs((p['a'] ?? 0) - 2000) < 250, JSON.stringify(p));
  });
});
