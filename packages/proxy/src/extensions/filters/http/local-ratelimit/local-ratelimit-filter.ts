import { PassThroughFilter } from '../../../../http/pass-through-filter.js';
import { FilterStatus, type HttpResponseHead } from '../../../../interfaces/http-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { Runtime } from '../../../../interfaces/runtime.js';
import type { HeaderFormatContext } from '../../../../router/header-formatter.js';
import { mostSpecificPerRouteConfig } from '../../../../router/per-filter-config.js';
import { LocalRateLimitConfig } from './local-ratelimit-config.js';
import type { TokenBucket } from '../../../../server/token-bucket.js';

export interface LocalRateLimitFilterConfig {
  readonly config: LocalRateLimitConfig;
  readonly filterName: string;
  readonly runtime: Runtime;
  readonly hostname: string;
}

function random32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * envoy.filters.http.local_ratelimit: one token per request from the filter's bucket (or the route's own bucket
 * when the route carries a LocalRateLimit); an empty bucket answers `status` (429) with response flag RL when
 * enforced, or only counts (and adds request_headers_to_add_when_not_enforced) when not.
 */
export class LocalRateLimitFilter extends PassThroughFilter {
  private used: LocalRateLimitConfig | undefined;
  private bucket: TokenBucket | undefined;
  private limited = false;

  constructor(private readonly fc: LocalRateLimitFilterConfig) {
    super();
  }

  decodeHeaders(): FilterStatus {
    const cb = this.cb;
    const fc = this.fc;
    const cfg = mostSpecificPerRouteConfig(cb.route, fc.filterName, LocalRateLimitConfig) ?? fc.config;
    this.used = cfg;
    if (!cfg.enabled(fc.runtime, random32())) return FilterStatus.Continue;
    const stats = cfg.stats;
    stats.enabled.inc();
    const bucket = cfg.bucket(cb.connectionInfo);
    this.bucket = bucket;
    if (bucket.consume()) {
      stats.ok.inc();
      return FilterStatus.Continue;
    }
    stats.rateLimited.inc();
    if (!cfg.enforced(fc.runtime, random32())) {
      if (!cfg.requestHeadersWhenNotEnforced.isEmpty) cfg.requestHeadersWhenNotEnforced.apply(cb.request.headers, this.formatContext());
      return FilterStatus.Continue;
    }
    stats.enforced.inc();
    this.limited = true;
    const opts = cfg.grpcStatus === undefined
      ? { flags: ResponseFlag.RateLimited, details: 'local_rate_limited' }
      : { flags: ResponseFlag.RateLimited, details: 'local_rate_limited', grpcStatus: cfg.grpcStatus };
    cb.sendLocalReply(cfg.status, 'local_rate_limited', opts);
    return FilterStatus.StopIteration;
  }

  override encodeHeaders(head: HttpResponseHead): FilterStatus {
    const cfg = this.used;
    if (cfg === undefined) return FilterStatus.Continue;
    const headers = head.headers;
    if (this.limited && !cfg.responseHeaders.isEmpty) {
      cfg.responseHeaders.apply(headers, this.formatContext(headers));
    }
    const bucket = this.bucket;
    if (cfg.xRateLimitHeaders && bucket !== undefined) {
      headers.set('x-ratelimit-limit', String(bucket.maxTokens));
      headers.set('x-ratelimit-remaining', String(bucket.remaining()));
      headers.set('x-ratelimit-reset', String(bucket.resetSeconds()));
    }
    return FilterStatus.Continue;
  }

  onDestroy(): void {
    this.used = undefined;
    this.bucket = undefined;
  }

  private formatContext(responseHeaders?: HeaderFormatContext['responseHeaders']): HeaderFormatContext {
    const req = this.cb.request;
    const ctx: HeaderFormatContext = {
      streamInfo: this.cb.info,
      requestHeaders: req.headers,
      hostname: this.fc.hostname,
      request: { method: req.method, path: req.path, scheme: req.scheme, authority: req.authority },
      ...(responseHeaders ? { responseHeaders } : {}),
    };
    return ctx;
  }
}
