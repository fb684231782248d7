import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import { NO_LABELS } from '../upstream/host.js';
import type { RpcColouring } from './rpc-config.js';
import { chooseSubsetHost, criteriaKey, type HostCriteria } from './host-selector.js';

/** Criteria objects by key, so a request allocates nothing once its subset has been seen. */
const criteriaCache = new Map<string, HostCriteria>();
const MAX_CACHED = 10_000;

function criteria(labels: ReadonlyMap<string, string>, extraKey: string | undefined, extraValue: string | undefined, absent: string | undefined): HostCriteria {
  let key = criteriaKey(labels, absent);
  if (extraKey !== undefined) key += `|${extraKey}=${extraValue ?? ''}`;
  let c = criteriaCache.get(key);
  if (c === undefined) {
    let all = labels;
    if (extraKey !== undefined) {
      const m = new Map(labels);
      m.set(extraKey, extraValue ?? '');
      all = m;
    }
    c = { key, labels: all, absent };
    // Colours come from requests: the cache is bounded.
    if (criteriaCache.size < MAX_CACHED) criteriaCache.set(key, c);
  }
  return c;
}

/**
 * The host for one attempt. Without labels or colouring: the cluster's load balancer. With route labels
 * (metadata_match): a healthy host carrying them. With colouring: a request coloured `c` goes to hosts labelled
 * `<label>=c`, else to baseline hosts (without the label); uncoloured requests go to baseline hosts; when there is
 * no baseline host either, any host matching the route's labels.
 */
export function chooseHost(cluster: Cluster, labels: ReadonlyMap<string, string>, colouring: RpcColouring | undefined, colour: string | undefined): Host | undefined {
  if (colouring === undefined) {
    if (labels.size === 0) return cluster.chooseHost(undefined);
    return subsetOrNone(cluster, criteria(labels, undefined, undefined, undefined));
  }
  if (colour !== undefined && colour !== '') {
    const coloured = chooseSubsetHost(cluster, criteria(labels, colouring.label, colour, undefined));
    if (coloured !== undefined) return coloured;
  }
  const baseline = chooseSubsetHost(cluster, criteria(labels, undefined, undefined, colouring.label));
  if (baseline !== undefined) return baseline;
  if (labels.size === 0 || labels === NO_LABELS) return cluster.chooseHost(undefined);
  return subsetOrNone(cluster, criteria(labels, undefined, undefined, undefined));
}

function subsetOrNone(cluster: Cluster, c: HostCriteria): Host | undefined {
  const h = chooseSubsetHost(cluster, c);
  if (h === undefined) cluster.stats.upstream_cx_none_healthy.inc();
  return h;
}
