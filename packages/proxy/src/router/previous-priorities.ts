import type { Host } from '../upstream/host.js';
import { adjustedPriorityLoad, type PriorityLoad, type PriorityState } from '../upstream/priority-load.js';

/**
 * Envoy's `envoy.retry_priorities.previous_priorities` for one request: every `updateFrequency` attempts, the
 * priorities already attempted are treated as unavailable when the next host is picked; when no priority is left
 * it starts over with the cluster's own load.
 */
export class PreviousPriorities {
  private attempted: number[] = [];
  private excluded: boolean[] = [];
  private load: PriorityLoad | undefined;

  constructor(private readonly updateFrequency: number) {}

  onHostAttempted(host: Host): void {
    this.attempted.push(host.priority);
  }

  /** The load for the next pick (undefined: the cluster's). */
  priorityLoad(state: PriorityState): PriorityLoad | undefined {
    const n = this.attempted.length;
    if (n < this.updateFrequency) return undefined;
    if (n % this.updateFrequency === 0) {
      for (const p of this.attempted) this.excluded[p] = true;
      let load = adjustedPriorityLoad(state, this.excluded);
      if (load === undefined) {
        this.excluded = [];
        this.attempted = [];
        load = adjustedPriorityLoad(state, this.excluded);
      }
      this.load = load;
    }
    return this.load;
  }
}
