import { isDegraded, isHealthy, type Host } from './host.js';

/**
 * The hosts of one priority level, as an immutable snapshot: healthy/degraded lists are taken when the set is built
 * (a health change rebuilds the sets through `PrioritySet.refreshHealth()`).
 */
export class HostSet {
  readonly healthyHosts: readonly Host[];
  readonly degradedHosts: readonly Host[];
  /** Hosts with an EXCLUDED flag: never picked outside panic, not counted in the priority's health. */
  readonly excludedHosts: readonly Host[];

  constructor(
    readonly priority: number,
    readonly hosts: readonly Host[],
    /** Percent, Envoy's `policy.overprovisioning_factor` (default 140). */
    readonly overprovisioningFactor: number,
    /** `policy.weighted_priority_health`: health counted by weight instead of host count. */
    readonly weightedPriorityHealth: boolean,
  ) {
    const healthy: Host[] = [];
    const degraded: Host[] = [];
    const excluded: Host[] = [];
    for (const h of hosts) {
      if (h.excluded) {
        excluded.push(h);
        continue;
      }
      if (isHealthy(h)) healthy.push(h);
      else if (isDegraded(h)) degraded.push(h);
    }
    this.healthyHosts = healthy;
    this.degradedHosts = degraded;
    this.excludedHosts = excluded;
  }

  /** The same hosts with their current health flags. */
  rebuild(): HostSet {
    return new HostSet(this.priority, this.hosts, this.overprovisioningFactor, this.weightedPriorityHealth);
  }
}
