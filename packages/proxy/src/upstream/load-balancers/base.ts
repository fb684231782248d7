import type { HeaderMap } from '../../interfaces/header-map.js';
import type { Counter } from '../../interfaces/stats.js';
import type { StreamInfo } from '../../interfaces/stream-info.js';
import type { Host } from '../host.js';
import type { HostSet } from '../host-set.js';
import { choosePriority, computePriorityState, DEGRADED_BIT, PRIORITY_MASK, type PriorityLoad, type PriorityState } from '../priority-load.js';
import { effectiveLocalityWeight, groupByLocality, LocalityScheduler } from './locality.js';
import type { ZoneRouting } from './zone-aware.js';

export interface LbContext {
  /**
   * uint32 hash from the route's hash policy (consistent-hash LBs). Producers with a 64-bit hash (Envoy computes
   * xxHash64) should pass its high 32 bits: ring points are the high 32 bits of Envoy's 64-bit points.
   */
  hash?: number;
  /** Replaces the cluster's priority load for this pick (retry_priority: previous_priorities). */
  priorityLoad?: PriorityLoad | undefined;
  /** ORIGINAL_DST clusters: the downstream connection (its restored local address is the destination). */
  downstream?: StreamInfo | undefined;
  /** ORIGINAL_DST clusters with use_http_header: the request headers. */
  headers?: HeaderMap | undefined;
}

export interface LoadBalancer {
  chooseHost(ctx: LbContext | undefined): Host | undefined;
}

export interface LbDeps {
  /** Uniform uint32. */
  random: () => number;
  lbHealthyPanic: Counter;
  /** Percent; read at every refresh so a runtime override applies on the next membership change. */
  panicThreshold: () => number;
  /** `common_lb_config.locality_weighted_lb_config`: pick a locality by effective weight, then a host in it. */
  localityWeighted?: boolean | undefined;
  /** `common_lb_config.zone_aware_lb_config` with a local cluster: zone-aware routing for priority 0. */
  zone?: ZoneRouting | undefined;
}

/** Per priority: a locality scheduler and one picker per locality. */
interface LocalityPickers {
  readonly scheduler: LocalityScheduler;
  readonly pickers: readonly HostPicker[];
}

/** Picks a host from one fixed list; `r` is a uint32 (random or the request hash). */
export interface HostPicker {
  pick(r: number): Host | undefined;
}

export const NO_PICKER: HostPicker = { pick: () => undefined };

export function randomUint32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/** Shared by every LB: Envoy's priority load and panic handling over a set of per-priority pickers. */
export abstract class PriorityLoadBalancer implements LoadBalancer {
  protected state: PriorityState = computePriorityState([], 50);

  constructor(protected readonly deps: LbDeps) {}

  abstract chooseHost(ctx: LbContext | undefined): Host | undefined;

  /** Rebuilds load split and pickers; called on every membership or health change. */
  refresh(sets: readonly HostSet[]): void {
    this.state = computePriorityState(sets, this.deps.panicThreshold());
    this.rebuild(sets);
  }

  get priorityState(): PriorityState {
    return this.state;
  }

  protected abstract rebuild(sets: readonly HostSet[]): void;

  protected selectPriority(r: number, ctx: LbContext | undefined): number {
    const l = ctx?.priorityLoad;
    return l === undefined ? choosePriority(r, this.state.healthyLoad, this.state.degradedLoad) : choosePriority(r, l.healthy, l.degraded);
  }
}

/**
 * Envoy's ZoneAwareLoadBalancerBase shape (round robin, least request, random): a random draw selects the priority
 * and whether its healthy or degraded hosts are used; in panic all hosts of that priority are used.
 */
export abstract class HostSourceLoadBalancer extends PriorityLoadBalancer {
  private healthy: HostPicker[] = [];
  private degraded: HostPicker[] = [];
  private all: HostPicker[] = [];
  private healthyLocalities: (LocalityPickers | undefined)[] = [];
  private degradedLocalities: (LocalityPickers | undefined)[] = [];
  private zonePickers: HostPicker[] = [];

  protected abstract createPicker(hosts: readonly Host[]): HostPicker;

  protected rebuild(sets: readonly HostSet[]): void {
    const { panic, degradedLoad } = this.state;
    this.healthy = [];
    this.degraded = [];
    this.all = [];
    this.healthyLocalities = [];
    this.degradedLocalities = [];
    const zone = this.deps.zone;
    if (zone !== undefined) {
      zone.regenerate(sets[0]);
      this.zonePickers = zone.healthyPerLocality.map((hosts) => (hosts.length > 0 ? this.createPicker(hosts) : NO_PICKER));
    }
    if (this.deps.localityWeighted === true) {
      for (const set of sets) {
        const groups = groupByLocality(set);
        const f = set.overprovisioningFactor;
        this.healthyLocalities.push(this.localityPickers(groups.map((g) => g.healthy), groups.map((g) => effectiveLocalityWeight(g, g.healthy.length, f))));
        this.degradedLocalities.push(this.localityPickers(groups.map((g) => g.degraded), groups.map((g) => effectiveLocalityWeight(g, g.degraded.length, f))));
      }
    }
    for (let p = 0; p < sets.length; p++) {
      const set = sets[p] as HostSet;
      const inPanic = panic[p] === true;
      this.all.push(inPanic && set.hosts.length > 0 ? this.createPicker(set.hosts) : NO_PICKER);
      this.healthy.push(!inPanic && set.healthyHosts.length > 0 ? this.createPicker(set.healthyHosts) : NO_PICKER);
      this.degraded.push(
        !inPanic && (degradedLoad[p] ?? 0) > 0 && set.degradedHosts.length > 0
          ? this.createPicker(set.degradedHosts)
          : NO_PICKER,
      );
    }
  }

  chooseHost(ctx: LbContext | undefined): Host | undefined {
    const r = this.deps.random();
    const sel = this.selectPriority(r, ctx);
    const p = sel & PRIORITY_MASK;
    const zone = this.deps.zone;
    if (this.state.panic[p] === true) {
      this.deps.lbHealthyPanic.inc();
      if (zone?.config.failTrafficOnPanic === true) return undefined;
      return this.all[p]?.pick(r);
    }
    const degraded = (sel & DEGRADED_BIT) !== 0;
    if (zone !== undefined && p === 0 && !degraded && zone.active && this.deps.random() % 100 < zone.config.routingEnabled) {
      if (zone.localClusterOk(this.deps.panicThreshold())) return this.zonePickers[zone.choose(this.deps.random)]?.pick(r);
      if (zone.config.failTrafficOnPanic) return undefined;
    }
    const loc = (degraded ? this.degradedLocalities : this.healthyLocalities)[p];
    if (loc !== undefined) {
      const i = loc.scheduler.pick();
      // No locality with weight: Envoy falls back to every healthy host of the priority.
      if (i !== undefined) return loc.pickers[i]?.pick(r);
    }
    return (degraded ? this.degraded : this.healthy)[p]?.pick(r);
  }

  private localityPickers(hostsPerLocality: Host[][], weights: number[]): LocalityPickers | undefined {
    if (!weights.some((w) => w > 0)) return undefined;
    return {
      scheduler: new LocalityScheduler(weights),
      pickers: hostsPerLocality.map((hosts, i) => ((weights[i] as number) > 0 && hosts.length > 0 ? this.createPicker(hosts) : NO_PICKER)),
    };
  }
}

/**
 * Envoy's ThreadAwareLoadBalancerBase shape (ring hash, Maglev): the request hash (or a random one) selects the
 * priority and then the host; each priority has one table built from its healthy hosts, or all hosts in panic.
 */
export abstract class HashLoadBalancer extends PriorityLoadBalancer {
  private tables: HostPicker[] = [];

  protected abstract createTable(hosts: readonly Host[]): HostPicker;

  protected rebuild(sets: readonly HostSet[]): void {
    const { panic } = this.state;
    this.tables = [];
    for (let p = 0; p < sets.length; p++) {
      const set = sets[p] as HostSet;
      const hosts = panic[p] === true ? set.hosts : set.healthyHosts;
      this.tables.push(hosts.length > 0 ? this.createTable(hosts) : NO_PICKER);
    }
  }

  chooseHost(ctx: LbContext | undefined): Host | undefined {
    const hash = ctx?.hash;
    const h = hash === undefined ? this.deps.random() : hash >>> 0;
    const p = this.selectPriority(h, ctx) & PRIORITY_MASK;
    if (this.state.panic[p] === true) this.deps.lbHealthyPanic.inc();
    return this.tables[p]?.pick(h);
  }
}

/** Envoy normalizes host weights to sum 1 for consistent-hash tables. */
export interface NormalizedWeights {
  hosts: readonly Host[];
  weights: number[];
  min: number;
  max: number;
}

export function normalizeWeights(hosts: readonly Host[]): NormalizedWeights {
  let sum = 0;
  for (const h of hosts) sum += h.weight;
  const weights: number[] = [];
  let min = 1;
  let max = 0;
  for (const h of hosts) {
    const w = h.weight / sum;
    weights.push(w);
    if (w < min) min = w;
    if (w > max) max = w;
  }
  return { hosts, weights, min, max };
}

export function weightsAreEqual(hosts: readonly Host[]): boolean {
  const first = hosts[0];
  if (first === undefined) return true;
  for (const h of hosts) if (h.weight !== first.weight) return false;
  return true;
}
