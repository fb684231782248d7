import { ConfigError, joinPath } from '@weft/api/lite';
import type { Gauge, Scope } from '../interfaces/stats.js';
import type { CircuitBreakers__Output } from './envoy-types.js';
import { rejectIfSet, wrapped } from './config-util.js';

export type RoutingPriority = 'DEFAULT' | 'HIGH';

/** One priority's thresholds (Envoy's defaults when a field is unset). */
export interface ThresholdConfig {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Retry budget: concurrent retries allowed as a share of active + pending requests. */
  readonly retryBudget: { readonly percent: number; readonly minRetryConcurrency: number } | undefined;
  readonly trackRemaining: boolean;
}

export interface CircuitBreakerConfig {
  readonly DEFAULT: ThresholdConfig;
  readonly HIGH: ThresholdConfig;
}

const DEFAULTS: ThresholdConfig = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
  retryBudget: undefined,
  trackRemaining: false,
};

export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerConfig = { DEFAULT: DEFAULTS, HIGH: DEFAULTS };

/** `circuit_breakers` of a Cluster: one threshold set per routing priority, the last one given winning. */
export function parseCircuitBreakers(cb: CircuitBreakers__Output | null, path: string): CircuitBreakerConfig {
  if (!cb) return DEFAULT_CIRCUIT_BREAKERS;
  const base = joinPath(path, 'circuit_breakers');
  rejectIfSet(base, 'per_host_thresholds', cb.per_host_thresholds);
  const out: { DEFAULT: ThresholdConfig; HIGH: ThresholdConfig } = { DEFAULT: DEFAULTS, HIGH: DEFAULTS };
  cb.thresholds.forEach((t, i) => {
    const tp = joinPath(joinPath(base, 'thresholds'), i);
    rejectIfSet(tp, 'max_connection_pools', t.max_connection_pools);
    let retryBudget: ThresholdConfig['retryBudget'];
    if (t.retry_budget) {
      const percent = t.retry_budget.budget_percent ? Number(t.retry_budget.budget_percent.value) : 20;
      if (!(percent >= 0 && percent <= 100)) throw new ConfigError(joinPath(tp, 'retry_budget.budget_percent'), 'must be within [0, 100]');
      retryBudget = { percent, minRetryConcurrency: wrapped(t.retry_budget.min_retry_concurrency, 3) };
    }
    const priority = t.priority === 'HIGH' ? 'HIGH' : 'DEFAULT';
    out[priority] = {
      maxConnections: wrapped(t.max_connections, DEFAULTS.maxConnections),
      maxPendingRequests: wrapped(t.max_pending_requests, DEFAULTS.maxPendingRequests),
      maxRequests: wrapped(t.max_requests, DEFAULTS.maxRequests),
      maxRetries: wrapped(t.max_retries, DEFAULTS.maxRetries),
      retryBudget,
      trackRemaining: t.track_remaining,
    };
  });
  return out;
}

/** A counted resource with a limit; publishes Envoy's `circuit_breakers.<priority>.<x>_open` / `remaining_<x>`. */
export class ResourceLimit {
  count = 0;
  private open = 0;

  constructor(
    /** A fixed limit, or a function of the moment (retry budgets). */
    private readonly limit: number | (() => number),
    private readonly openGauge: Gauge,
    private readonly remaining: Gauge | undefined,
  ) {
    this.publish();
  }

  get max(): number {
    const l = this.limit;
    return typeof l === 'number' ? l : l();
  }

  canCreate(): boolean {
    return this.count < this.max;
  }

  inc(): void {
    this.count++;
    this.publish();
  }

  dec(): void {
    if (this.count > 0) this.count--;
    this.publish();
  }

  /** Gauges are touched only when they change (this runs twice per request). */
  private publish(): void {
    const max = this.max;
    const open = this.count >= max ? 1 : 0;
    if (open !== this.open) {
      this.open = open;
      this.openGauge.set(open);
    }
    this.remaining?.set(Math.max(0, max - this.count));
  }
}

/** Envoy's per-cluster, per-priority ResourceManager. */
export class ClusterResources {
  readonly connections: ResourceLimit;
  readonly pendingRequests: ResourceLimit;
  readonly requests: ResourceLimit;
  readonly retries: ResourceLimit;

  constructor(cfg: ThresholdConfig, scope: Scope, priority: RoutingPriority) {
    const s = scope.scope(`circuit_breakers.${priority.toLowerCase()}`);
    const rem = (name: string): Gauge | undefined => (cfg.trackRemaining ? s.gauge(name, 'never') : undefined);
    this.connections = new ResourceLimit(cfg.maxConnections, s.gauge('cx_open', 'never'), rem('remaining_cx'));
    this.pendingRequests = new ResourceLimit(cfg.maxPendingRequests, s.gauge('rq_pending_open', 'never'), rem('remaining_pending'));
    this.requests = new ResourceLimit(cfg.maxRequests, s.gauge('rq_open', 'never'), rem('remaining_rq'));
    const budget = cfg.retryBudget;
    const retryMax = budget
      ? (): number => Math.max(budget.minRetryConcurrency, Math.floor(((this.requests.count + this.pendingRequests.count) * budget.percent) / 100))
      : cfg.maxRetries;
    this.retries = new ResourceLimit(retryMax, s.gauge('rq_retry_open', 'never'), rem('remaining_retries'));
  }
}
