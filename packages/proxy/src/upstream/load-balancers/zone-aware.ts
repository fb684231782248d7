import type { Counter } from '../../interfaces/stats.js';
import type { Host, Locality } from '../host.js';
import type { HostSet } from '../host-set.js';

/** A validated `common_lb_config.zone_aware_lb_config`. */
export interface ZoneAwareConfig {
  /** Percent of requests that try zone-aware routing (`routing_enabled`, default 100). */
  readonly routingEnabled: number;
  /** No zone-aware routing below this many healthy upstream hosts (`min_cluster_size`, default 6). */
  readonly minClusterSize: number;
  readonly failTrafficOnPanic: boolean;
}

/** Envoy's zone routing counters (`cluster.<name>.lb_zone_*`). */
export interface ZoneStats {
  readonly lb_recalculate_zone_structures: Counter;
  readonly lb_local_cluster_not_ok: Counter;
  readonly lb_zone_cluster_too_small: Counter;
  readonly lb_zone_routing_all_directly: Counter;
  readonly lb_zone_routing_sampled: Counter;
  readonly lb_zone_routing_cross_zone: Counter;
  readonly lb_zone_no_capacity_left: Counter;
}

/** Where this proxy runs (bootstrap `node.locality`) and the hosts of the local cluster (P0), if any. */
export interface LocalInfo {
  readonly locality: Locality;
  /** The local cluster's P0 host set (`cluster_manager.local_cluster_name`); undefined: no zone routing. */
  readonly localSet: () => HostSet | undefined;
}

const NO_ROUTING = 0;
const DIRECT = 1;
const RESIDUAL = 2;

function sameLocality(a: Locality, b: Locality): boolean {
  return a.region === b.region && a.zone === b.zone && a.subZone === b.subZone;
}

/** Hosts per locality with the local locality first (Envoy's HostsPerLocality with hasLocalLocality). */
function perLocality(hosts: readonly Host[], healthy: readonly Host[], local: Locality): { all: Host[][]; healthy: Host[][]; hasLocal: boolean } {
  const index: Locality[] = [];
  const all: Host[][] = [];
  let hasLocal = false;
  for (const h of hosts) {
    if (!hasLocal && sameLocality(h.locality, local)) {
      hasLocal = true;
      index.unshift(h.locality);
      all.unshift([]);
    } else if (!index.some((l) => sameLocality(l, h.locality))) {
      index.push(h.locality);
      all.push([]);
    }
  }
  const find = (l: Locality): number => index.findIndex((x) => sameLocality(x, l));
  for (const h of hosts) (all[find(h.locality)] as Host[]).push(h);
  const healthyLists: Host[][] = index.map(() => []);
  for (const h of healthy) (healthyLists[find(h.locality)] as Host[]).push(h);
  return { all, healthy: healthyLists, hasLocal };
}

/**
 * Envoy's zone-aware routing for priority 0 (ZoneAwareLoadBalancerBase, host-count basis): send as much traffic as
 * possible to the upstream hosts in this proxy's locality, in proportion to how the local cluster's proxies are
 * spread across localities, and the rest to localities with spare capacity.
 */
export class ZoneRouting {
  private state = NO_ROUTING;
  private localPercentToRoute = 0;
  private residual: number[] = [];
  /** Healthy P0 hosts per locality, local first (the pickers are built from these). */
  healthyPerLocality: Host[][] = [];

  constructor(
    readonly config: ZoneAwareConfig,
    private readonly local: LocalInfo,
    private readonly stats: ZoneStats,
  ) {}

  get active(): boolean {
    return this.state !== NO_ROUTING;
  }

  regenerate(p0: HostSet | undefined): void {
    this.state = NO_ROUTING;
    this.healthyPerLocality = [];
    const localSet = this.local.localSet();
    if (p0 === undefined || localSet === undefined) return;
    this.stats.lb_recalculate_zone_structures.inc();
    const up = perLocality(p0.hosts, p0.healthyHosts, this.local.locality);
    this.healthyPerLocality = up.healthy;
    const loc = perLocality(localSet.hosts, localSet.healthyHosts, this.local.locality);
    if (up.healthy.length < 2 || loc.all.length < 2) return;
    if (!loc.hasLocal || (loc.all[0] as Host[]).length === 0) {
      this.stats.lb_local_cluster_not_ok.inc();
      return;
    }
    if (p0.healthyHosts.length < this.config.minClusterSize) {
      this.stats.lb_zone_cluster_too_small.inc();
      return;
    }
    // Percentages in 1/100 %, over healthy hosts, matched by locality.
    const localTotal = localSet.healthyHosts.length;
    const upTotal = p0.healthyHosts.length;
    const localPct: number[] = [];
    const upPct: number[] = [];
    for (const hosts of up.healthy) {
      const first = hosts[0];
      if (first === undefined) {
        localPct.push(0);
        upPct.push(0);
        continue;
      }
      let localCount = 0;
      for (const h of localSet.healthyHosts) if (sameLocality(h.locality, first.locality)) localCount++;
      localPct.push(localTotal > 0 ? Math.floor((10000 * localCount) / localTotal) : 0);
      upPct.push(Math.floor((10000 * hosts.length) / upTotal));
    }
    const up0 = upPct[0] as number;
    const local0 = localPct[0] as number;
    if (up.hasLocal && up0 > 0 && up0 >= local0) {
      this.state = DIRECT;
      return;
    }
    this.state = RESIDUAL;
    this.localPercentToRoute = up.hasLocal && local0 > 0 ? Math.floor((up0 * 10000) / local0) : 0;
    this.residual = [];
    let acc = 0;
    for (let i = 0; i < upPct.length; i++) {
      const u = upPct[i] as number;
      const l = localPct[i] as number;
      if (!(i === 0 && up.hasLocal) && u > l) acc += u - l;
      this.residual.push(acc);
    }
  }

  /** Locality index (into healthyPerLocality) for one request; `random` is a uint32 source. */
  choose(random: () => number): number {
    if (this.state === DIRECT) {
      this.stats.lb_zone_routing_all_directly.inc();
      return 0;
    }
    if (random() % 10000 < this.localPercentToRoute) {
      this.stats.lb_zone_routing_sampled.inc();
      return 0;
    }
    this.stats.lb_zone_routing_cross_zone.inc();
    const n = this.residual.length;
    const total = this.residual[n - 1] as number;
    if (total === 0) {
      this.stats.lb_zone_no_capacity_left.inc();
      return random() % n;
    }
    const threshold = random() % total;
    let i = 0;
    while (threshold >= (this.residual[i] as number)) i++;
    return i;
  }

  /** `routing_enabled` draw, then whether the local cluster is healthy enough (not in panic). */
  localClusterOk(panicThreshold: number): boolean {
    const set = this.local.localSet();
    if (set === undefined) return false;
    const count = set.hosts.length - set.excludedHosts.length;
    const pct = count === 0 ? 0 : (100 * (set.healthyHosts.length + set.degradedHosts.length)) / count;
    if (pct < Math.min(100, panicThreshold)) {
      this.stats.lb_local_cluster_not_ok.inc();
      return false;
    }
    return true;
  }
}
