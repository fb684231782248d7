import type { Host } from '../host.js';
import { EdfScheduler } from './edf-scheduler.js';
import { HostSourceLoadBalancer, randomUint32, weightsAreEqual, type HostPicker } from './base.js';

/** Plain rotation; starts at a random offset like Envoy so proxies do not all hit the first host together. */
class RotationPicker implements HostPicker {
  private next: number;
  constructor(private readonly hosts: readonly Host[]) {
    this.next = randomUint32() % hosts.length;
  }
  pick(): Host | undefined {
    const h = this.hosts[this.next];
    this.next = this.next + 1 === this.hosts.length ? 0 : this.next + 1;
    return h;
  }
}

function staticWeight(h: Host): number {
  return h.weight;
}

/** Weighted round robin with Envoy's earliest-deadline-first scheduling. */
class EdfPicker implements HostPicker {
  private readonly edf: EdfScheduler<Host>;
  constructor(hosts: readonly Host[]) {
    this.edf = new EdfScheduler(hosts, staticWeight);
  }
  pick(): Host | undefined {
    return this.edf.pickAndAdd();
  }
}

/** ROUND_ROBIN: plain rotation when all weights are equal, EDF otherwise (Envoy's RoundRobinLoadBalancer). */
export class RoundRobinLoadBalancer extends HostSourceLoadBalancer {
  protected createPicker(hosts: readonly Host[]): HostPicker {
    return weightsAreEqual(hosts) ? new RotationPicker(hosts) : new EdfPicker(hosts);
  }
}
