import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lbDeps, mkHost, mkHosts, mkSet, tally } from '../test-hosts.js';
import { LeastRequestLoadBalancer } from './least-request.js';

function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

describe('LeastRequestLoadBalancer', () => {
  it('takes the less loaded of two random choices', () => {
    const hosts = mkHosts(3);
    const [a, b, c] = hosts;
    assert.ok(a && b && c);
    a.activeRequests = 5;
    b.activeRequests = 1;
    c.activeRequests = 3;
    // First draw selects the priority; then samples a (0) and b (1): b has fewer active requests.
    const lb = new LeastRequestLoadBalancer(lbDeps(sequence([0, 0, 1])), { choiceCount: 2, activeRequestBias: 1 });
    lb.refresh([mkSet(hosts)]);
    assert.equal(lb.chooseHost(undefined), b);
  });

  it('prefers less loaded hosts over many picks (power of two choices)', () => {
    const hosts = mkHosts(2);
    const [busy, idle] = hosts;
    assert.ok(busy && idle);
    busy.activeRequests = 10;
    const lb = new LeastRequestLoadBalancer(lbDeps(), { choiceCount: 2, activeRequestBias: 1 });
    lb.refresh([mkSet(hosts)]);
    const t = tally(() => lb.chooseHost(undefined), 4000);
    // The busy host wins only when both samples are it: ~1/4.
    const busyPicks = t.get(busy.key) ?? 0;
    assert.ok(busyPicks > 800 && busyPicks < 1200, `busy picked ${busyPicks}`);
  });

  it('with more choices a busy host is picked even more rarely', () => {
    const hosts = mkHosts(2);
    const [busy] = hosts;
    assert.ok(busy);
    busy.activeRequests = 10;
    const lb = new LeastRequestLoadBalancer(lbDeps(), { choiceCount: 5, activeRequestBias: 1 });
    lb.refresh([mkSet(hosts)]);
    const busyPicks = tally(() => lb.chooseHost(undefined), 3200).get(busy.key) ?? 0;
    assert.ok(busyPicks < 250, `busy picked ${busyPicks}`); // ~1/32
  });

  it('with unequal weights uses weight / (active + 1) ^ bias', () => {
    const light = mkHost('10.0.0.1', { weight: 1 });
    const heavy = mkHost('10.0.0.2', { weight: 3 });
    const lb = new LeastRequestLoadBalancer(lbDeps(), { choiceCount: 2, activeRequestBias: 1 });
    lb.refresh([mkSet([light, heavy])]);
    const idle = tally(() => lb.chooseHost(undefined), 400);
    assert.deepEqual([idle.get(light.key), idle.get(heavy.key)], [100, 300]);

    heavy.activeRequests = 5; // effective weight 3/6 = 0.5 < 1
    const lb2 = new LeastRequestLoadBalancer(lbDeps(), { choiceCount: 2, activeRequestBias: 1 });
    lb2.refresh([mkSet([light, heavy])]);
    const loaded = tally(() => lb2.chooseHost(undefined), 300);
    assert.deepEqual([loaded.get(light.key), loaded.get(heavy.key)], [200, 100]);
  });

  it('ignores active requests with bias 0 (weighted round robin)', () => {
    const light = mkHost('10.0.0.1', { weight: 1 });
    const heavy = mkHost('10.0.0.2', { weight: 3 });
    heavy.activeRequests = 100;
    const lb = new LeastRequestLoadBalancer(lbDeps(), { choiceCount: 2, activeRequestBias: 0 });
    lb.refresh([mkSet([light, heavy])]);
    const t = tally(() => lb.chooseHost(undefined), 400);
    assert.deepEqual([t.get(light.key), t.get(heavy.key)], [100, 300]);
  });
});
