import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import type { RpcColouring } from './rpc-config.js';
import { chooseSubsetHost, makeCriteria, type HostCriteria } from './host-selector.js';
import type { StreamInfo } from '../interfaces/stream-info.js';

/** Colours come from requests: the per-choice cache of coloured subsets is bounded. */
const MAX_COLOURS = 1000;

/**
 * The subsets one route cluster choice selects from, made on first use and kept, so a request allocates nothing
 * once its colour has been seen.
 */
export class HostChoice {
  private plain: HostCriteria | undefined;
  private baseline: HostCriteria | undefined;
  private readonly coloured = new Map<string, HostCriteria>();

  constructor(readonly labels: ReadonlyMap<string, string>) {}

  /**
   * The host for one attempt. Without labels or colouring: the cluster's load balancer. With route labels
   * (metadata_match): a healthy host carrying them. With colouring: a request coloured `c` goes to hosts labelled
   * `<label>=c`, else to baseline hosts (without the label); uncoloured requests go to baseline hosts; when there is
   * no baseline host either, any host matching the route's labels.
   */
  choose(cluster: Cluster, colouring: RpcColouring | undefined, colour: string | undefined, downstream?: StreamInfo): Host | undefined {
    if (colouring !== undefined) {
      if (colour !== undefined && colour !== '') {
        const h = chooseSubsetHost(cluster, this.colouredCriteria(colouring.label, colour));
        if (h !== undefined) return h;
      }
      const h = chooseSubsetHost(cluster, (this.baseline ??= makeCriteria(this.labels, colouring.label)));
      if (h !== undefined) return h;
    }
    // ORIGINAL_DST clusters take the host from the downstream connection's original destination.
    if (this.labels.size === 0) return cluster.chooseHost(cluster.type === 'ORIGINAL_DST' ? { downstream } : undefined);
    const h = chooseSubsetHost(cluster, (this.plain ??= makeCriteria(this.labels)));
    if (h === undefined) cluster.stats.upstream_cx_none_healthy.inc();
    return h;
  }

  private colouredCriteria(label: string, colour: string): HostCriteria {
    let c = this.coloured.get(colour);
    if (c === undefined) {
      const labels = new Map(this.labels);
      labels.set(label, colour);
      c = makeCriteria(labels);
      if (this.coloured.size < MAX_COLOURS) this.coloured.set(colour, c);
    }
    return c;
  }
}
