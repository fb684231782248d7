import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import type { HostSet } from '../upstream/host-set.js';

/**
 * Host selection by endpoint labels (`envoy.lb` metadata) for RPC routes: a small subset load balancer. Each
 * (cluster, criteria) subset is computed once per membership/health change (the priority set's host sets are
 * replaced on every change, so their identity is the version) and balanced round robin over its healthy hosts.
 */
interface Subset {
  sets: readonly HostSet[] | undefined;
  hosts: Host[];
  next: number;
}

const subsets = new WeakMap<Cluster, Map<string, Subset>>();

/** Labels a host must carry and, optionally, a label it must not carry (baseline hosts for colour routing). */
export interface HostCriteria {
  readonly key: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly absent: string | undefined;
}

function criteriaKey(labels: ReadonlyMap<string, string>, absent: string | undefined): string {
  let key = absent === undefined ? '' : `!${absent}`;
  for (const [k, v] of labels) key += `|${k}=${v}`;
  return key;
}

export function makeCriteria(labels: ReadonlyMap<string, string>, absent?: string): HostCriteria {
  return { key: criteriaKey(labels, absent), labels, absent };
}

function matches(h: Host, c: HostCriteria): boolean {
  if (c.absent !== undefined && h.labels.has(c.absent)) return false;
  for (const [k, v] of c.labels) if (h.labels.get(k) !== v) return false;
  return true;
}

/** A healthy host of `cluster` matching `c`, round robin; undefined when the subset has none. */
export function chooseSubsetHost(cluster: Cluster, c: HostCriteria): Host | undefined {
  let byKey = subsets.get(cluster);
  if (byKey === undefined) {
    byKey = new Map();
    subsets.set(cluster, byKey);
  }
  let s = byKey.get(c.key);
  if (s === undefined) {
    s = { sets: undefined, hosts: [], next: 0 };
    byKey.set(c.key, s);
  }
  const sets = cluster.prioritySet.hostSets;
  if (s.sets !== sets) {
    s.sets = sets;
    s.hosts = [];
    for (const h of cluster.prioritySet.hosts()) if (h.healthy && !h.excluded && matches(h, c)) s.hosts.push(h);
  }
  const n = s.hosts.length;
  if (n === 0) return undefined;
  const h = s.hosts[s.next % n] as Host;
  s.next = (s.next + 1) % n;
  return h;
}
