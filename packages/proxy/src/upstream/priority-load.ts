/**
 * Envoy's priority load computation (LoadBalancerBase::recalculatePerPriorityState / recalculatePerPriorityPanic /
 * recalculateLoadInTotalPanic), integer arithmetic included, so the split matches Envoy's documented tables.
 */
import type { HostSet } from './host-set.js';

export interface PriorityState {
  /** Percent of traffic sent to the healthy hosts of each priority (with `degradedLoad`, sums to 100). */
  readonly healthyLoad: number[];
  /** Percent of traffic sent to the degraded hosts of each priority. */
  readonly degradedLoad: number[];
  /** Per priority: balance across all hosts ignoring health. */
  readonly panic: boolean[];
  /** Health (0..100) per priority after the overprovisioning factor. */
  readonly health: number[];
  readonly degradedAvailability: number[];
}

/** Availability of one host set as Envoy computes it: min(100, factor * healthy / total), integer division. */
function availability(set: HostSet): { healthy: number; degraded: number } {
  const total = set.hosts.length - set.excludedHosts.length;
  if (total === 0) return { healthy: 0, degraded: 0 };
  let healthyWeight = 0;
  let degradedWeight = 0;
  let totalWeight = 0;
  if (set.weightedPriorityHealth) {
    for (const h of set.healthyHosts) healthyWeight += h.weight;
    for (const h of set.degradedHosts) degradedWeight += h.weight;
    for (const h of set.hosts) if (!h.excluded) totalWeight += h.weight;
  } else {
    healthyWeight = set.healthyHosts.length;
    degradedWeight = set.degradedHosts.length;
    totalWeight = total;
  }
  const f = set.overprovisioningFactor;
  return {
    healthy: Math.min(100, Math.floor((f * healthyWeight) / totalWeight)),
    degraded: Math.min(100, Math.floor((f * degradedWeight) / totalWeight)),
  };
}

/** Assigns as much of `totalLoad` as possible to higher priorities first; returns [first available, remaining]. */
function distributeLoad(
  load: number[],
  avail: readonly number[],
  totalLoad: number,
  normalizedTotal: number,
): [number, number] {
  let first = -1;
  for (let i = 0; i < avail.length; i++) {
    const a = avail[i] as number;
    if (first < 0 && a > 0) first = i;
    const l = Math.min(totalLoad, Math.floor((a * 100) / normalizedTotal));
    load[i] = l;
    totalLoad -= l;
  }
  return [first, totalLoad];
}

function isInPanic(set: HostSet, threshold: number): boolean {
  const count = set.hosts.length - set.excludedHosts.length;
  const healthyPercent =
    count === 0 ? 0 : (100 * (set.healthyHosts.length + set.degradedHosts.length)) / count;
  return healthyPercent < threshold;
}

/**
 * @param panicThreshold percent (Envoy rounds `healthy_panic_threshold` to an integer; default 50; 0 disables panic).
 */
export function computePriorityState(sets: readonly HostSet[], panicThreshold: number): PriorityState {
  const n = Math.max(1, sets.length);
  const healthyLoad = new Array<number>(n).fill(0);
  const degradedLoad = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  const health = new Array<number>(n).fill(0);
  const degradedAvailability = new Array<number>(n).fill(0);
  for (let i = 0; i < sets.length; i++) {
    const a = availability(sets[i] as HostSet);
    health[i] = a.healthy;
    degradedAvailability[i] = a.degraded;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (health[i] as number) + (degradedAvailability[i] as number);
  const normalizedTotal = Math.min(sum, 100);

  if (normalizedTotal > 0) {
    const [firstHealthy, remainingAfterHealthy] = distributeLoad(healthyLoad, health, 100, normalizedTotal);
    const [firstDegraded, remaining] = distributeLoad(
      degradedLoad,
      degradedAvailability,
      remainingAfterHealthy,
      normalizedTotal,
    );
    // Rounding leftovers go to the first priority with healthy hosts, else the first with degraded ones.
    if (remaining !== 0) {
      if (firstHealthy >= 0) healthyLoad[firstHealthy] = (healthyLoad[firstHealthy] as number) + remaining;
      else degradedLoad[firstDegraded] = (degradedLoad[firstDegraded] as number) + remaining;
    }
  }

  const threshold = Math.min(100, panicThreshold);
  if (threshold === 0 && normalizedTotal === 0) {
    // Panic disabled and nothing available: the load must still sum to 100; P0 gets it (and finds no host).
    healthyLoad.fill(0);
    degradedLoad.fill(0);
    healthyLoad[0] = 100;
    return { healthyLoad, degradedLoad, panic, health, degradedAvailability };
  }
  for (let i = 0; i < n; i++) {
    const set = sets[i];
    panic[i] = normalizedTotal === 0 ? true : set !== undefined && isInPanic(set, threshold);
  }
  if (panic.every(Boolean)) {
    // Total panic: split by host counts regardless of health.
    let totalHosts = 0;
    for (const s of sets) totalHosts += s.hosts.length;
    healthyLoad.fill(0);
    degradedLoad.fill(0);
    if (totalHosts === 0) {
      healthyLoad[0] = 100;
    } else {
      let total = 100;
      let firstNonEmpty = -1;
      for (let i = 0; i < sets.length; i++) {
        const count = (sets[i] as HostSet).hosts.length;
        if (firstNonEmpty < 0 && count > 0) firstNonEmpty = i;
        const l = Math.floor((100 * count) / totalHosts);
        healthyLoad[i] = l;
        total -= l;
      }
      healthyLoad[firstNonEmpty] = (healthyLoad[firstNonEmpty] as number) + total;
    }
  }
  return { healthyLoad, degradedLoad, panic, health, degradedAvailability };
}

/** A priority load that replaces the cluster's for one pick (retry priority plugins). */
export interface PriorityLoad {
  readonly healthy: readonly number[];
  readonly degraded: readonly number[];
}

/**
 * The load with some priorities treated as unavailable (Envoy's PreviousPrioritiesRetryPriority
 * adjustForAttemptedPriorities); undefined when nothing else is available.
 */
export function adjustedPriorityLoad(state: PriorityState, excluded: readonly boolean[]): PriorityLoad | undefined {
  const health = state.health.map((h, i) => (excluded[i] === true ? 0 : h));
  const degradedAvail = state.degradedAvailability.map((d, i) => (excluded[i] === true ? 0 : d));
  let sum = 0;
  for (let i = 0; i < health.length; i++) sum += (health[i] as number) + (degradedAvail[i] as number);
  const total = Math.min(sum, 100);
  if (total === 0) return undefined;
  const healthy = new Array<number>(health.length).fill(0);
  const degraded = new Array<number>(health.length).fill(0);
  const [firstHealthy, afterHealthy] = distributeLoad(healthy, health, 100, total);
  const [firstDegraded, remaining] = distributeLoad(degraded, degradedAvail, afterHealthy, total);
  if (remaining !== 0) {
    if (firstHealthy >= 0) healthy[firstHealthy] = (healthy[firstHealthy] as number) + remaining;
    else degraded[firstDegraded] = (degraded[firstDegraded] as number) + remaining;
  }
  return { healthy, degraded };
}

/** Set in `choosePriority`'s result when the degraded hosts of the priority were chosen. */
export const DEGRADED_BIT = 0x10000;
export const PRIORITY_MASK = 0xffff;

/**
 * Picks a priority with `hash % 100 + 1` against the cumulative loads (Envoy's choosePriority). Returns the
 * priority in the low 16 bits and DEGRADED_BIT when degraded hosts were chosen, to avoid allocating a pair on the hot path.
 */
export function choosePriority(hash: number, healthyLoad: readonly number[], degradedLoad: readonly number[]): number {
  const h = (hash % 100) + 1;
  let aggregate = 0;
  for (let p = 0; p < healthyLoad.length; p++) {
    aggregate += healthyLoad[p] as number;
    if (h <= aggregate) return p;
  }
  for (let p = 0; p < degradedLoad.length; p++) {
    aggregate += degradedLoad[p] as number;
    if (h <= aggregate) return p | DEGRADED_BIT;
  }
  return 0;
}
