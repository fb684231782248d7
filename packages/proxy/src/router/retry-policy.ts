import { ConfigError, joinPath } from '@weft/api/lite';
import type { RetryPolicy__Output } from '@weft/api/envoy/envoy/config/route/v3/RetryPolicy.js';
import { durationMs } from '../server/duration.js';
import { compileHeaderMatcher, type HeaderMatcher } from './route-matchers.js';

/** Retry conditions (`retry_on` / `x-envoy-retry-on` / `x-envoy-retry-grpc-on`), as bits. */
export const RetryOn = {
  FiveXx: 1 << 0,
  GatewayError: 1 << 1,
  Reset: 1 << 2,
  ConnectFailure: 1 << 3,
  Retriable4xx: 1 << 4,
  RefusedStream: 1 << 5,
  RetriableStatusCodes: 1 << 6,
  RetriableHeaders: 1 << 7,
  EnvoyRateLimited: 1 << 8,
  ResetBeforeRequest: 1 << 9,
  Http3PostConnectFailure: 1 << 10,
  GrpcCancelled: 1 << 11,
  GrpcDeadlineExceeded: 1 << 12,
  GrpcResourceExhausted: 1 << 13,
  GrpcUnavailable: 1 << 14,
  GrpcInternal: 1 << 15,
} as const;

const HTTP_CONDITIONS: Readonly<Record<string, number>> = {
  '5xx': RetryOn.FiveXx,
  'gateway-error': RetryOn.GatewayError,
  reset: RetryOn.Reset,
  'reset-before-request': RetryOn.ResetBeforeRequest,
  'connect-failure': RetryOn.ConnectFailure,
  'retriable-4xx': RetryOn.Retriable4xx,
  'refused-stream': RetryOn.RefusedStream,
  'retriable-status-codes': RetryOn.RetriableStatusCodes,
  'retriable-headers': RetryOn.RetriableHeaders,
  'envoy-ratelimited': RetryOn.EnvoyRateLimited,
  'http3-post-connect-failure': RetryOn.Http3PostConnectFailure,
};

const GRPC_CONDITIONS: Readonly<Record<string, number>> = {
  cancelled: RetryOn.GrpcCancelled,
  'deadline-exceeded': RetryOn.GrpcDeadlineExceeded,
  'resource-exhausted': RetryOn.GrpcResourceExhausted,
  unavailable: RetryOn.GrpcUnavailable,
  internal: RetryOn.GrpcInternal,
};

/**
 * Parses a comma-separated condition list. `grpcOnly` is for `x-envoy-retry-grpc-on`; the route's `retry_on`
 * takes both kinds. Unknown names are reported through `unknown` (config) or skipped (request headers, as Envoy).
 */
export function parseRetryOn(value: string, grpcOnly: boolean, unknown?: (name: string) => void): number {
  let bits = 0;
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const b = (grpcOnly ? undefined : HTTP_CONDITIONS[name]) ?? GRPC_CONDITIONS[name];
    if (b === undefined) unknown?.(name);
    else bits |= b;
  }
  return bits;
}

/** A compiled `retry_policy` (route or virtual host). */
export interface RetryPolicy {
  readonly retryOn: number;
  readonly numRetries: number;
  /** 0 = no per-try timeout. */
  readonly perTryTimeoutMs: number;
  readonly retriableStatusCodes: readonly number[];
  readonly retriableHeaders: readonly HeaderMatcher[];
  readonly retriableRequestHeaders: readonly HeaderMatcher[];
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  /** `envoy.retry_host_predicates.previous_hosts`: avoid hosts already tried. */
  readonly avoidPreviousHosts: boolean;
  readonly hostSelectionMaxAttempts: number;
  /** `envoy.retry_priorities.previous_priorities` update_frequency; 0 = no retry priority. */
  readonly previousPrioritiesFrequency: number;
}

const DEFAULT_BASE_INTERVAL_MS = 25;
const PREVIOUS_HOSTS_TYPE = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';
const PREVIOUS_PRIORITIES_NAME = 'envoy.retry_priorities.previous_priorities';
const PREVIOUS_PRIORITIES_TYPE = 'envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';

/** `retry_priority`: only previous_priorities, whose update_frequency must be > 0. Returns it (0 = none). */
function previousPriorities(rp: RetryPolicy__Output['retry_priority'], path: string): number {
  if (!rp) return 0;
  const pp = joinPath(path, 'retry_priority');
  const cfg = rp.typed_config as { '@type'?: string; update_frequency?: number } | null | undefined;
  const type = cfg?.['@type'];
  if (type !== `type.googleapis.com/${PREVIOUS_PRIORITIES_TYPE}` && !(rp.name === PREVIOUS_PRIORITIES_NAME && type === undefined)) {
    throw new ConfigError(pp, `unsupported retry priority '${rp.name}'${type ? ` (${type})` : ''}`);
  }
  const f = cfg?.update_frequency ?? 0;
  if (!(f > 0)) throw new ConfigError(joinPath(pp, 'typed_config.update_frequency'), 'must be greater than 0');
  return f;
}

/** A policy with nothing configured: headers (`x-envoy-retry-on`) may still enable retries per request. */
export const EMPTY_RETRY_POLICY: RetryPolicy = {
  retryOn: 0,
  numRetries: 1,
  perTryTimeoutMs: 0,
  retriableStatusCodes: [],
  retriableHeaders: [],
  retriableRequestHeaders: [],
  baseIntervalMs: DEFAULT_BASE_INTERVAL_MS,
  maxIntervalMs: DEFAULT_BASE_INTERVAL_MS * 10,
  avoidPreviousHosts: false,
  hostSelectionMaxAttempts: 1,
  previousPrioritiesFrequency: 0,
};

export function compileRetryPolicy(p: RetryPolicy__Output, path: string): RetryPolicy {
  const unsupported: Array<[string, boolean]> = [
    ['rate_limited_retry_back_off', p.rate_limited_retry_back_off !== null],
    ['retry_options_predicates', p.retry_options_predicates.length > 0],
    ['per_try_idle_timeout', p.per_try_idle_timeout !== null],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
  const retryOn = parseRetryOn(p.retry_on, false, (name) => {
    throw new ConfigError(joinPath(path, 'retry_on'), `unknown retry condition '${name}'`);
  });
  let avoidPreviousHosts = false;
  p.retry_host_predicate.forEach((pred, i) => {
    const pp = joinPath(joinPath(path, 'retry_host_predicate'), i);
    const type = (pred.typed_config as { '@type'?: string } | null | undefined)?.['@type'];
    if (pred.name === 'envoy.retry_host_predicates.previous_hosts' || type === `type.googleapis.com/${PREVIOUS_HOSTS_TYPE}`) {
      avoidPreviousHosts = true;
    } else {
      throw new ConfigError(pp, `unsupported retry host predicate '${pred.name}'`);
    }
  });
  const bo = p.retry_back_off;
  let baseIntervalMs = DEFAULT_BASE_INTERVAL_MS;
  let maxIntervalMs = DEFAULT_BASE_INTERVAL_MS * 10;
  if (bo) {
    const bp = joinPath(path, 'retry_back_off');
    if (!bo.base_interval) throw new ConfigError(joinPath(bp, 'base_interval'), 'is required');
    baseIntervalMs = durationMs(bo.base_interval, 0);
    if (baseIntervalMs < 1) throw new ConfigError(joinPath(bp, 'base_interval'), 'must be at least 1ms');
    maxIntervalMs = bo.max_interval ? durationMs(bo.max_interval, 0) : baseIntervalMs * 10;
    if (maxIntervalMs < baseIntervalMs) throw new ConfigError(joinPath(bp, 'max_interval'), 'must be greater than or equal to base_interval');
  }
  p.retriable_status_codes.forEach((c, i) => {
    if (c < 100 || c > 599) throw new ConfigError(joinPath(joinPath(path, 'retriable_status_codes'), i), 'must be an HTTP status code');
  });
  return {
    retryOn,
    numRetries: p.num_retries ? p.num_retries.value : 1,
    perTryTimeoutMs: p.per_try_timeout ? durationMs(p.per_try_timeout, 0) : 0,
    retriableStatusCodes: [...p.retriable_status_codes],
    retriableHeaders: p.retriable_headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(path, 'retriable_headers'), i))),
    retriableRequestHeaders: p.retriable_request_headers.map((h, i) =>
      compileHeaderMatcher(h, joinPath(joinPath(path, 'retriable_request_headers'), i)),
    ),
    baseIntervalMs,
    maxIntervalMs,
    avoidPreviousHosts,
    hostSelectionMaxAttempts: Number(p.host_selection_retry_max_attempts || '1'),
    previousPrioritiesFrequency: previousPriorities(p.retry_priority, path),
  };
}
