import type { Host } from './host.js';
import { HostSet } from './host-set.js';

export type HostsChangedListener = (added: readonly Host[], removed: readonly Host[]) => void;

/**
 * All host sets of a cluster indexed by priority. Priorities skipped by the config get empty sets (Envoy does the
 * same: an empty priority has 0% health and receives no traffic).
 */
export class PrioritySet {
  private sets: readonly HostSet[] = [];
  private all: readonly Host[] = [];
  private readonly listeners = new Set<HostsChangedListener>();

  constructor(
    private readonly overprovisioningFactor: number,
    private readonly weightedPriorityHealth: boolean,
  ) {}

  get hostSets(): readonly HostSet[] {
    return this.sets;
  }

  hosts(): readonly Host[] {
    return this.all;
  }

  /** Replaces every host; hosts keep their identity when the caller passes the same objects. */
  update(hosts: readonly Host[]): void {
    const previous = new Set(this.all);
    let maxPriority = 0;
    for (const h of hosts) if (h.priority > maxPriority) maxPriority = h.priority;
    const byPriority: Host[][] = [];
    for (let p = 0; p <= maxPriority; p++) byPriority.push([]);
    const added: Host[] = [];
    for (const h of hosts) {
      (byPriority[h.priority] as Host[]).push(h);
      if (!previous.delete(h)) added.push(h);
    }
    this.sets = byPriority.map(
      (list, p) => new HostSet(p, list, this.overprovisioningFactor, this.weightedPriorityHealth),
    );
    this.all = hosts.slice();
    const removed = [...previous];
    if (added.length > 0 || removed.length > 0) this.emit(added, removed);
  }

  /** Rebuilds healthy/degraded lists after host health flags changed; listeners see no added/removed hosts. */
  refreshHealth(): void {
    this.sets = this.sets.map((s) => s.rebuild());
    this.emit([], []);
  }

  onHostsChanged(listener: HostsChangedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(added: readonly Host[], removed: readonly Host[]): void {
    for (const l of this.listeners) l(added, removed);
  }
}
