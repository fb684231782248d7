import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host, Locality } from '../host.js';
import { countingRandom, lbDeps, mkHost, mkSet, tally } from '../test-hosts.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import { RandomLoadBalancer } from './random.js';

const zone = (z: string): Locality => ({ region: 'r', zone: z, subZone: '' });

function hostsIn(z: string, n: number, weight: number, healthy = n, prefix = z): Host[] {
  return Array.from({ length: n }, (_, i) => mkHost(`10.${prefix.charCodeAt(0)}.0.${i}`, { locality: zone(z), localityWeight: weight, healthy: i < healthy }));
}

function byZone(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    const z = k === 'none' ? 'none' : String.fromCharCode(Number(k.split('.')[1]));
    out[z] = (out[z] ?? 0) + v;
  }
  return out;
}

describe('locality-weighted load balancing', () => {
  it('splits traffic between localities by load_balancing_weight, then balances inside each', () => {
    const lb = new RoundRobinLoadBalancer({ ...lbDeps(), localityWeighted: true });
    lb.refresh([mkSet([...hostsIn('a', 2, 1), ...hostsIn('b', 2, 3)])]);
    const t = tally(() => lb.chooseHost(undefined), 400);
    assert.deepEqual(byZone(t), { a: 100, b: 300 });
    assert.equal(t.get('10.97.0.0:80'), 50);
    assert.equal(t.get('10.98.0.1:80'), 150);
  });

  it('a locality losing hosts sheds load by its availability (factor × healthy / total, capped at 1)', () => {
    const lb = new RandomLoadBalancer({ ...lbDeps(countingRandom()), localityWeighted: true });
    // Zone a: 1 of 4 healthy → min(1, 1.4 × 1/4) = 0.35; zone b: 1.0. Priority health stays above the panic threshold.
    lb.refresh([mkSet([...hostsIn('a', 4, 1, 1), ...hostsIn('b', 4, 1)])]);
    const z = byZone(tally(() => lb.chooseHost(undefined), 2700));
    assert.deepEqual(z, { a: 700, b: 2000 });
  });

  it('a locality without weight gets no traffic; with no weight anywhere every healthy host is used', () => {
    const lb = new RoundRobinLoadBalancer({ ...lbDeps(), localityWeighted: true });
    lb.refresh([mkSet([...hostsIn('a', 2, 0), ...hostsIn('b', 2, 5)])]);
    assert.deepEqual(byZone(tally(() => lb.chooseHost(undefined), 10)), { b: 10 });
    lb.refresh([mkSet([...hostsIn('a', 2, 0), ...hostsIn('b', 2, 0)])]);
    assert.deepEqual(byZone(tally(() => lb.chooseHost(undefined), 12)), { a: 6, b: 6 });
  });

  it('is off unless configured: localities are ignored', () => {
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([mkSet([...hostsIn('a', 2, 1), ...hostsIn('b', 2, 3)])]);
    assert.deepEqual(byZone(tally(() => lb.chooseHost(undefined), 400)), { a: 200, b: 200 });
  });
});
