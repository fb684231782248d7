import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lbDeps, mkHost, mkHosts, mkSet, tally } from '../test-hosts.js';
import { RandomLoadBalancer } from './random.js';

describe('RandomLoadBalancer', () => {
  it('spreads picks evenly across healthy hosts', () => {
    const hosts = mkHosts(5, 4);
    const lb = new RandomLoadBalancer(lbDeps());
    lb.refresh([mkSet(hosts)]);
    const t = tally(() => lb.chooseHost(undefined), 8000);
    assert.equal(t.size, 4);
    for (const [key, n] of t) assert.ok(n > 1800 && n < 2200, `${key}: ${n}`);
    assert.equal(t.get(hosts[4]?.key ?? ''), undefined);
  });

  it('ignores host weights like Envoy', () => {
    const lb = new RandomLoadBalancer(lbDeps());
    lb.refresh([mkSet([mkHost('10.0.0.1', { weight: 1 }), mkHost('10.0.0.2', { weight: 9 })])]);
    const t = tally(() => lb.chooseHost(undefined), 4000);
    const a = t.get('10.0.0.1:80') ?? 0;
    assert.ok(a > 1800 && a < 2200, `light host picked ${a}`);
  });
});
