import { ConfigError, joinPath } from '@weft/api/lite';
import type { LocalRateLimit__Output } from '@weft/api/envoy/envoy/extensions/filters/http/local_ratelimit/v3/LocalRateLimit.js';
import { STATUS_REASONS } from '../../../../codec/http1/status-reasons.js';
import type { Runtime } from '../../../../interfaces/runtime.js';
import type { Counter, Scope } from '../../../../interfaces/stats.js';
import type { StreamInfo } from '../../../../interfaces/stream-info.js';
import { compileHeaderMutation, type HeaderMutation } from '../../../../router/header-mutation.js';
import { compileRuntimeFraction, type RuntimeFraction } from '../../../../router/route-matchers.js';
import { durationMs } from '../../../../server/duration.js';
import { monotonicNow } from '../../../../server/io-scope.js';
import { TokenBucket } from '../../../../server/token-bucket.js';

export const LOCAL_RATELIMIT_TYPE = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

/** `<stat_prefix>.http_local_rate_limit.*` (rooted at the filter's own stat_prefix, as in Envoy). */
export interface LocalRateLimitStats {
  readonly enabled: Counter;
  readonly enforced: Counter;
  readonly rateLimited: Counter;
  readonly ok: Counter;
}

let statusByName: Map<string, number> | undefined;

/** envoy.type.v3.StatusCode enum name (`TooManyRequests`) → number. */
function statusCode(name: string, path: string): number {
  if (!statusByName) {
    statusByName = new Map();
    for (const [code, reason] of Object.entries(STATUS_REASONS)) statusByName.set(reason.replace(/[^A-Za-z]/g, '').toLowerCase(), Number(code));
  }
  const code = statusByName.get(name.toLowerCase());
  if (code === undefined) throw new ConfigError(path, `unknown status code ${name}`);
  return code;
}

/** A compiled LocalRateLimit (filter level, or a route's own with its own bucket). */
export class LocalRateLimitConfig {
  /** Buckets per downstream connection (local_rate_limit_per_downstream_connection), keyed by its StreamInfo. */
  private readonly perConnection: WeakMap<StreamInfo, TokenBucket> | undefined;
  private readonly shared: TokenBucket | undefined;

  constructor(
    readonly stats: LocalRateLimitStats,
    readonly status: number,
    private readonly maxTokens: number,
    private readonly tokensPerFill: number,
    private readonly fillIntervalMs: number,
    readonly filterEnabled: RuntimeFraction | undefined,
    readonly filterEnforced: RuntimeFraction | undefined,
    readonly responseHeaders: HeaderMutation,
    readonly requestHeadersWhenNotEnforced: HeaderMutation,
    readonly xRateLimitHeaders: boolean,
    /** gRPC status for rate-limited gRPC requests: RESOURCE_EXHAUSTED (8) or the HTTP mapping (undefined). */
    readonly grpcStatus: number | undefined,
    perConnection: boolean,
  ) {
    if (perConnection) this.perConnection = new WeakMap();
    else this.shared = this.newBucket();
  }

  private newBucket(): TokenBucket {
    return new TokenBucket(this.maxTokens, this.tokensPerFill, this.fillIntervalMs, monotonicNow);
  }

  bucket(connection: StreamInfo): TokenBucket {
    if (this.shared) return this.shared;
    const map = this.perConnection as WeakMap<StreamInfo, TokenBucket>;
    let b = map.get(connection);
    if (!b) {
      b = this.newBucket();
      map.set(connection, b);
    }
    return b;
  }

  /** Envoy: absent filter_enabled / filter_enforced mean 0% (disabled / not enforced). */
  enabled(runtime: Runtime, random: number): boolean {
    return this.filterEnabled !== undefined && this.filterEnabled.enabled(runtime, random);
  }

  enforced(runtime: Runtime, random: number): boolean {
    return this.filterEnforced !== undefined && this.filterEnforced.enabled(runtime, random);
  }
}

export function compileLocalRateLimit(cfg: LocalRateLimit__Output, path: string, stats: Scope): LocalRateLimitConfig {
  const unsupported: Array<[string, boolean]> = [
    ['descriptors', cfg.descriptors.length > 0],
    ['stage', cfg.stage !== 0],
    ['always_consume_default_token_bucket', cfg.always_consume_default_token_bucket !== null],
    ['local_cluster_rate_limit', cfg.local_cluster_rate_limit !== null],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
  if (cfg.stat_prefix === '') throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  const tb = cfg.token_bucket;
  // Envoy requires a token bucket unless descriptors carry their own; descriptors are not supported here.
  if (!tb) throw new ConfigError(joinPath(path, 'token_bucket'), 'is required');
  const tbPath = joinPath(path, 'token_bucket');
  if (tb.max_tokens < 1) throw new ConfigError(joinPath(tbPath, 'max_tokens'), 'must be greater than 0');
  const tokensPerFill = tb.tokens_per_fill ? tb.tokens_per_fill.value : 1;
  if (tokensPerFill < 1) throw new ConfigError(joinPath(tbPath, 'tokens_per_fill'), 'must be greater than 0');
  const fill = durationMs(tb.fill_interval, 0);
  if (!tb.fill_interval) throw new ConfigError(joinPath(tbPath, 'fill_interval'), 'is required');
  if (fill < 50) throw new ConfigError(joinPath(tbPath, 'fill_interval'), 'must be at least 50ms');
  const s = stats.scope(`${cfg.stat_prefix}.http_local_rate_limit`);
  return new LocalRateLimitConfig(
    { enabled: s.counter('enabled'), enforced: s.counter('enforced'), rateLimited: s.counter('rate_limited'), ok: s.counter('ok') },
    cfg.status ? statusCode(cfg.status.code, joinPath(path, 'status.code')) : 429,
    tb.max_tokens,
    tokensPerFill,
    fill,
    cfg.filter_enabled ? compileRuntimeFraction(cfg.filter_enabled, joinPath(path, 'filter_enabled')) : undefined,
    cfg.filter_enforced ? compileRuntimeFraction(cfg.filter_enforced, joinPath(path, 'filter_enforced')) : undefined,
    compileHeaderMutation(cfg.response_headers_to_add, [], joinPath(path, 'response_headers_to_add'), ''),
    compileHeaderMutation(cfg.request_headers_to_add_when_not_enforced, [], joinPath(path, 'request_headers_to_add_when_not_enforced'), ''),
    cfg.enable_x_ratelimit_headers === 'DRAFT_VERSION_03',
    cfg.rate_limited_as_resource_exhausted ? 8 : undefined,
    cfg.local_rate_limit_per_downstream_connection,
  );
}
