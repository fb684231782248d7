import type { Host } from '../host.js';
import type { HostSet } from '../host-set.js';
import { EdfScheduler } from './edf-scheduler.js';

/** The hosts of one locality within a priority (Envoy's hostsPerLocality). */
export interface LocalityGroup {
  readonly hosts: Host[];
  readonly healthy: Host[];
  readonly degraded: Host[];
  excluded: number;
  /** The locality's `load_balancing_weight` (0 when unset: such a locality gets no traffic). */
  readonly weight: number;
}

/** Groups a priority's hosts by locality, in order of first appearance. */
export function groupByLocality(set: HostSet): LocalityGroup[] {
  const byKey = new Map<string, LocalityGroup>();
  const healthy = new Set(set.healthyHosts);
  const degraded = new Set(set.degradedHosts);
  for (const h of set.hosts) {
    const l = h.locality;
    const key = `${l.region}\0${l.zone}\0${l.subZone}`;
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { hosts: [], healthy: [], degraded: [], excluded: 0, weight: h.localityWeight }));
    g.hosts.push(h);
    if (h.excluded) g.excluded++;
    else if (healthy.has(h)) g.healthy.push(h);
    else if (degraded.has(h)) g.degraded.push(h);
  }
  return [...byKey.values()];
}

/**
 * Envoy's effective locality weight: weight × min(1, overprovisioning factor × eligible / (hosts − excluded)), so a
 * locality losing hosts sheds load to the others once its availability drops below 1/factor.
 */
export function effectiveLocalityWeight(g: LocalityGroup, eligible: number, overprovisioningFactor: number): number {
  const count = g.hosts.length - g.excluded;
  if (count === 0) return 0;
  return g.weight * Math.min(1, ((overprovisioningFactor / 100) * eligible) / count);
}

/** Picks a locality index by effective weight (EDF, as Envoy's chooseHealthyLocality); undefined when all are 0. */
export class LocalityScheduler {
  private readonly edf: EdfScheduler<number> | undefined;

  constructor(readonly weights: readonly number[]) {
    const indices: number[] = [];
    weights.forEach((w, i) => {
      if (w > 0) indices.push(i);
    });
    this.edf = indices.length > 0 ? new EdfScheduler(indices, (i) => weights[i] as number) : undefined;
  }

  pick(): number | undefined {
    return this.edf?.pickAndAdd();
  }
}
