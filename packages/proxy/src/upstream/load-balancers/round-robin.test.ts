import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../host.js';
import { countingRandom, lbDeps, mkHost, mkHosts, mkSet, tally } from '../test-hosts.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

describe('RoundRobinLoadBalancer', () => {
  it('rotates through equally weighted hosts in order', () => {
    const hosts = mkHosts(3);
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([mkSet(hosts)]);
    const first = lb.chooseHost(undefined);
    assert.ok(first);
    const start = (hosts as Host[]).indexOf(first);
    for (let i = 1; i < 9; i++) assert.equal(lb.chooseHost(undefined), hosts[(start + i) % 3]);
  });

  it('picks weighted hosts exactly in proportion over each period of sum(weights) picks (EDF)', () => {
    const hosts = [mkHost('10.0.0.1', { weight: 1 }), mkHost('10.0.0.2', { weight: 2 }), mkHost('10.0.0.3', { weight: 3 })];
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([mkSet(hosts)]);
    for (let period = 0; period < 100; period++) {
      const t = tally(() => lb.chooseHost(undefined), 6);
      assert.deepEqual([t.get('10.0.0.1:80'), t.get('10.0.0.2:80'), t.get('10.0.0.3:80')], [1, 2, 3]);
    }
  });

  it('interleaves weighted picks instead of bursting one host', () => {
    const hosts = [mkHost('10.0.0.1', { weight: 1 }), mkHost('10.0.0.2', { weight: 3 })];
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([mkSet(hosts)]);
    const seq = Array.from({ length: 8 }, () => lb.chooseHost(undefined)?.address);
    // Deadlines: .2 at 1/3, 2/3, 1 and .1 at 1: the tie goes to the earlier entry (.1). The next tie at 2 is not
    // one in doubles (1 + 3 * (1/3) < 2), exactly as in Envoy's EdfScheduler.
    assert.deepEqual(seq, ['10.0.0.2', '10.0.0.2', '10.0.0.1', '10.0.0.2', '10.0.0.2', '10.0.0.2', '10.0.0.2', '10.0.0.1']);
  });

  it('skips unhealthy hosts when the priority is not in panic', () => {
    const hosts = mkHosts(4, 3);
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([mkSet(hosts)]);
    const t = tally(() => lb.chooseHost(undefined), 300);
    assert.equal(t.get(hosts[3]?.key ?? ''), undefined);
    assert.equal(t.size, 3);
  });

  it('balances across all hosts and counts lb_healthy_panic when below the panic threshold', () => {
    const hosts = mkHosts(10, 4);
    const deps = lbDeps();
    const lb = new RoundRobinLoadBalancer(deps);
    lb.refresh([mkSet(hosts)]);
    const t = tally(() => lb.chooseHost(undefined), 100);
    assert.equal(t.size, 10);
    assert.equal(deps.lbHealthyPanic.value(), 100);
  });

  it('does not panic with threshold 0 and returns no host when none is healthy', () => {
    const deps = lbDeps(undefined, 0);
    const lb = new RoundRobinLoadBalancer(deps);
    lb.refresh([mkSet(mkHosts(3, 0))]);
    assert.equal(lb.chooseHost(undefined), undefined);
    assert.equal(deps.lbHealthyPanic.value(), 0);
  });

  it('spills traffic to the next priority by the priority load', () => {
    const p0 = mkHosts(10, 5, 0, 0);
    const p1 = mkHosts(10, 10, 0, 1);
    const lb = new RoundRobinLoadBalancer(lbDeps(countingRandom()));
    lb.refresh([mkSet(p0, 0), mkSet(p1, 1)]);
    let toP0 = 0;
    for (let i = 0; i < 100; i++) if (lb.chooseHost(undefined)?.priority === 0) toP0++;
    assert.equal(toP0, 70);
  });

  it('returns undefined for an empty cluster', () => {
    const lb = new RoundRobinLoadBalancer(lbDeps());
    lb.refresh([]);
    assert.equal(lb.chooseHost(undefined), undefined);
  });
});
