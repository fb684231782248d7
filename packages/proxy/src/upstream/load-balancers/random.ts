import type { Host } from '../host.js';
import { HostSourceLoadBalancer, type HostPicker } from './base.js';

class RandomPicker implements HostPicker {
  constructor(private readonly hosts: readonly Host[]) {}
  pick(r: number): Host | undefined {
    return this.hosts[r % this.hosts.length];
  }
}

/**
 * RANDOM: `hosts[random % n]` with the same draw that chose the priority, like Envoy's RandomLoadBalancer.
 * Host weights are ignored, as in Envoy (only locality weights would apply).
 */
export class RandomLoadBalancer extends HostSourceLoadBalancer {
  protected createPicker(hosts: readonly Host[]): HostPicker {
    return new RandomPicker(hosts);
  }
}
