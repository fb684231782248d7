// Test helper only: builds hosts, host sets and LB deps for load balancer and priority tests.
import { HostImpl, EMPTY_LOCALITY, type Host, type Locality } from './host.js';
import { HostSet } from './host-set.js';
import type { LbDeps } from './load-balancers/base.js';
import { TestScope } from './test-scope.js';

export interface HostOpts {
  weight?: number;
  priority?: number;
  healthy?: boolean;
  degraded?: boolean;
  port?: number;
  hostname?: string;
  locality?: Locality;
  localityWeight?: number;
}

export function mkHost(address: string, o: HostOpts = {}): HostImpl {
  return new HostImpl({
    address,
    port: o.port ?? 80,
    hostname: o.hostname ?? '',
    weight: o.weight ?? 1,
    priority: o.priority ?? 0,
    locality: o.locality ?? EMPTY_LOCALITY,
    localityWeight: o.localityWeight ?? 0,
    healthy: o.healthy ?? true,
    degraded: o.degraded ?? false,
  });
}

/** `n` hosts 10.<p>.0.<i> of which the first `healthy` are healthy and the next `degraded` degraded. */
export function mkHosts(n: number, healthy = n, degraded = 0, priority = 0): HostImpl[] {
  const out: HostImpl[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      mkHost(`10.${priority}.${i >> 8}.${i & 255}`, {
        priority,
        healthy: i < healthy + degraded,
        degraded: i >= healthy && i < healthy + degraded,
      }),
    );
  }
  return out;
}

export function mkSet(hosts: readonly Host[], priority = 0, factor = 140, weighted = false): HostSet {
  return new HostSet(priority, hosts, factor, weighted);
}

/** Deterministic uint32 sequence (xorshift32) so distribution tests are reproducible. */
export function seededRandom(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** 0, 1, 2, …: with `% 100 + 1` this walks every priority bucket exactly once per 100 picks. */
export function countingRandom(): () => number {
  let i = 0;
  return () => i++;
}

export function lbDeps(random: () => number = seededRandom(), panicThreshold = 50): LbDeps & { scope: TestScope } {
  const scope = new TestScope();
  return { random, lbHealthyPanic: scope.counter('lb_healthy_panic'), panicThreshold: () => panicThreshold, scope };
}

/** Counts picks per host key. */
export function tally(pick: () => Host | undefined, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = pick();
    const k = h ? h.key : 'none';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
