import { PassThroughFilter } from '../../../../http/pass-through-filter.js';
import { FilterStatus, type HttpResponseHead } from '../../../../interfaces/http-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { HeaderMatcher } from '../../../../router/route-matchers.js';
import type { DrainState } from '../../../../server/factory-context.js';
import { monotonicNow } from '../../../../server/io-scope.js';

/**
 * pass_through_mode cache (cache_time): the last upstream answer to a health check is reused until the end of the
 * current cache period; periods are fixed windows from config load, as Envoy's clear-cache timer, computed lazily.
 */
export class HealthCheckCache {
  private readonly start = monotonicNow();
  private cachedPeriod = -1;
  private status = 200;

  constructor(private readonly cacheMs: number) {}

  private period(): number {
    return Math.floor((monotonicNow() - this.start) / this.cacheMs);
  }

  get(): number | undefined {
    return this.cachedPeriod === this.period() ? this.status : undefined;
  }

  set(status: number): void {
    this.status = status;
    this.cachedPeriod = this.period();
  }
}

export interface HealthCheckFilterConfig {
  readonly passThrough: boolean;
  readonly headers: readonly HeaderMatcher[];
  readonly drain: DrainState;
  readonly localClusterName: string;
  readonly cache: HealthCheckCache | undefined;
}

/**
 * envoy.filters.http.health_check: requests matching `headers` are health checks. Without pass-through the proxy
 * answers them (200, or 503 with flag LH after `/healthcheck/fail`); in pass-through mode it answers only when
 * failed or from the cache. Other responses carry `x-envoy-immediate-health-check-fail` while failed.
 */
export class HealthCheckFilter extends PassThroughFilter {
  private healthCheck = false;
  private handling = false;
  private cachedStatus: number | undefined;

  constructor(private readonly config: HealthCheckFilterConfig) {
    super();
  }

  decodeHeaders(endStream: boolean): FilterStatus {
    const cfg = this.config;
    const req = this.cb.routeRequest;
    for (const m of cfg.headers) if (!m.matches(req)) return FilterStatus.Continue;
    this.healthCheck = true;
    this.cachedStatus = cfg.cache?.get();
    if (!cfg.passThrough || cfg.drain.healthCheckFailed || this.cachedStatus !== undefined) this.handling = true;
    if (endStream && this.handling) this.reply();
    return this.handling ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  override decodeData(_data: Buffer, endStream: boolean): FilterStatus {
    if (endStream && this.handling) this.reply();
    return this.handling ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  override decodeTrailers(): FilterStatus {
    if (this.handling) this.reply();
    return this.handling ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  private reply(): void {
    const cb = this.cb;
    let status = 200;
    let details = 'health_check_ok';
    if (this.config.drain.healthCheckFailed) {
      status = 503;
      details = 'health_check_failed';
    } else if (this.cachedStatus !== undefined) {
      status = this.cachedStatus;
      details = 'health_check_cached';
    }
    const flags = status < 200 || status >= 300 ? ResponseFlag.FailedLocalHealthCheck : 0;
    cb.sendLocalReply(status, '', { details, flags });
  }

  override encodeHeaders(head: HttpResponseHead): FilterStatus {
    if (this.healthCheck) {
      // Upstream answers in pass-through mode fill the cache (local replies too, as in Envoy).
      this.config.cache?.set(head.status);
      head.headers.set('x-envoy-upstream-healthchecked-cluster', this.config.localClusterName);
    } else if (this.config.drain.healthCheckFailed) {
      head.headers.set('x-envoy-immediate-health-check-fail', 'true');
    }
    return FilterStatus.Continue;
  }

  onDestroy(): void {
    this.handling = false;
  }
}
