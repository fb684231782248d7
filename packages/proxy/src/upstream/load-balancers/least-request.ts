import type { Host } from '../host.js';
import { EdfScheduler } from './edf-scheduler.js';
import { HostSourceLoadBalancer, weightsAreEqual, type HostPicker, type LbDeps } from './base.js';

export interface LeastRequestOptions {
  /** `least_request_lb_config.choice_count` (default 2, at least 2). */
  choiceCount: number;
  /** `least_request_lb_config.active_request_bias` default value (default 1.0). */
  activeRequestBias: number;
}

/** Power of N choices over `activeRequests` (Envoy's unweightedHostPick). */
class ChoicePicker implements HostPicker {
  constructor(
    private readonly hosts: readonly Host[],
    private readonly choices: number,
    private readonly random: () => number,
  ) {}
  pick(): Host | undefined {
    const hosts = this.hosts;
    const n = hosts.length;
    if (n === 1) return hosts[0];
    let candidate: Host | undefined;
    for (let i = 0; i < this.choices; i++) {
      const sampled = hosts[this.random() % n] as Host;
      if (candidate === undefined || sampled.activeRequests < candidate.activeRequests) candidate = sampled;
    }
    return candidate;
  }
}

class WeightedPicker implements HostPicker {
  private readonly edf: EdfScheduler<Host>;
  constructor(hosts: readonly Host[], weightOf: (h: Host) => number) {
    this.edf = new EdfScheduler(hosts, weightOf);
  }
  pick(): Host | undefined {
    return this.edf.pickAndAdd();
  }
}

/**
 * LEAST_REQUEST: with equal weights, the least loaded of `choiceCount` random hosts; with unequal weights, EDF over
 * `weight / (active + 1) ^ bias` recomputed at each pick (Envoy's LeastRequestLoadBalancer).
 */
export class LeastRequestLoadBalancer extends HostSourceLoadBalancer {
  private readonly weightOf: (h: Host) => number;

  constructor(
    deps: LbDeps,
    private readonly opts: LeastRequestOptions,
  ) {
    super(deps);
    const bias = opts.activeRequestBias;
    if (bias === 0) this.weightOf = (h) => h.weight;
    else if (bias === 1) this.weightOf = (h) => h.weight / (h.activeRequests + 1);
    else this.weightOf = (h) => h.weight / Math.pow(h.activeRequests + 1, bias);
  }

  protected createPicker(hosts: readonly Host[]): HostPicker {
    return weightsAreEqual(hosts)
      ? new ChoicePicker(hosts, this.opts.choiceCount, this.deps.random)
      : new WeightedPicker(hosts, this.weightOf);
  }
}
