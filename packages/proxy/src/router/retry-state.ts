import type { HeaderMap } from '../interfaces/header-map.js';
import type { UpstreamResetReason } from '../interfaces/upstream-stream.js';
import type { ClusterResources } from '../upstream/circuit-breakers.js';
import type { ClusterStats } from '../upstream/cluster-stats.js';
import type { RouteRequest } from './route-request.js';
import { parseRetryOn, RetryOn, type RetryPolicy } from './retry-policy.js';

export const RetryDecision = { No: 0, Yes: 1, LimitExceeded: 2, Overflow: 3 } as const;
export type RetryDecision = (typeof RetryDecision)[keyof typeof RetryDecision];

const GRPC_BITS: ReadonlyArray<readonly [string, number]> = [
  ['1', RetryOn.GrpcCancelled],
  ['4', RetryOn.GrpcDeadlineExceeded],
  ['8', RetryOn.GrpcResourceExhausted],
  ['13', RetryOn.GrpcInternal],
  ['14', RetryOn.GrpcUnavailable],
];

const RESET_RETRY_BITS = RetryOn.FiveXx | RetryOn.GatewayError | RetryOn.Reset;

/** Response headers seen as a RouteRequest, so the route's HeaderMatchers apply to them. */
class ResponseView implements RouteRequest {
  readonly method = '';
  readonly path = '';
  readonly authority = '';
  readonly scheme = 'http';
  readonly sourceIp = '';
  readonly random = 0;
  constructor(readonly headers: HeaderMap) {}
}

/**
 * One request's retry bookkeeping (Envoy's RetryStateImpl): which failures are retriable, how many retries are
 * left, the retry circuit breaker, and the jittered exponential backoff.
 */
export class RetryState {
  private remaining: number;
  private readonly retryOn: number;
  private readonly statusCodes: number[];
  private readonly headerNames: string[];
  private holdsRetry = false;
  private backoffStep = 1;

  private constructor(
    private readonly policy: RetryPolicy,
    retryOn: number,
    headers: HeaderMap,
    private readonly resources: ClusterResources,
    private readonly stats: ClusterStats,
  ) {
    this.retryOn = retryOn;
    this.remaining = policy.numRetries;
    const max = headers.get('x-envoy-max-retries');
    if (max !== undefined && /^\d+$/.test(max)) this.remaining = Number(max);
    this.statusCodes = [...policy.retriableStatusCodes];
    const codes = headers.get('x-envoy-retriable-status-codes');
    if (codes !== undefined) {
      for (const c of codes.split(',')) {
        const n = Number(c.trim());
        if (Number.isInteger(n) && n >= 100 && n <= 599) this.statusCodes.push(n);
      }
    }
    const names = headers.get('x-envoy-retriable-header-names');
    this.headerNames = names === undefined ? [] : names.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  }

  /**
   * Retry state for a request, or undefined when nothing can trigger a retry. `x-envoy-retry-on` /
   * `x-envoy-retry-grpc-on` add to the route's conditions; `retriable_request_headers` must match.
   */
  static create(policy: RetryPolicy, req: RouteRequest, resources: ClusterResources, stats: ClusterStats): RetryState | undefined {
    const headers = req.headers;
    let retryOn = policy.retryOn;
    const h = headers.get('x-envoy-retry-on');
    if (h !== undefined) retryOn |= parseRetryOn(h, false);
    const g = headers.get('x-envoy-retry-grpc-on');
    if (g !== undefined) retryOn |= parseRetryOn(g, true);
    if (retryOn === 0) return undefined;
    const rrh = policy.retriableRequestHeaders;
    if (rrh.length !== 0 && !rrh.some((m) => m.matches(req))) return undefined;
    return new RetryState(policy, retryOn, headers, resources, stats);
  }

  get perTryTimeoutMs(): number {
    return this.policy.perTryTimeoutMs;
  }

  get avoidPreviousHosts(): boolean {
    return this.policy.avoidPreviousHosts;
  }

  get hostSelectionMaxAttempts(): number {
    return this.policy.hostSelectionMaxAttempts;
  }

  get previousPrioritiesFrequency(): number {
    return this.policy.previousPrioritiesFrequency;
  }

  /** Whether a final response with these headers is a retriable failure. */
  wouldRetryHeaders(status: number, headers: HeaderMap): boolean {
    if (headers.has('x-envoy-overloaded')) return false;
    const on = this.retryOn;
    if (on & RetryOn.FiveXx && status >= 500) return true;
    if (on & RetryOn.GatewayError && status >= 502 && status <= 504) return true;
    if (on & RetryOn.Retriable4xx && status === 409) return true;
    if (on & RetryOn.RetriableStatusCodes && this.statusCodes.includes(status)) return true;
    if (on & RetryOn.EnvoyRateLimited && headers.has('x-envoy-ratelimited')) return true;
    if (on & RetryOn.RetriableHeaders) {
      if (this.policy.retriableHeaders.length !== 0) {
        const view = new ResponseView(headers);
        if (this.policy.retriableHeaders.some((m) => m.matches(view))) return true;
      }
      for (const n of this.headerNames) if (headers.has(n)) return true;
    }
    const grpcStatus = headers.get('grpc-status');
    if (grpcStatus !== undefined) {
      for (const [code, bit] of GRPC_BITS) if (on & bit && grpcStatus === code) return true;
    }
    return false;
  }

  /** Whether a stream that ended without a response (or timed out per try) is retriable. */
  wouldRetryReset(reason: UpstreamResetReason, requestStarted: boolean): boolean {
    if (reason === 'overflow') return false;
    const on = this.retryOn;
    if (on & RetryOn.ResetBeforeRequest && !requestStarted) return true;
    if (on & RESET_RETRY_BITS) return true;
    if (on & RetryOn.RefusedStream && reason === 'remote_refused_stream') return true;
    if (on & RetryOn.ConnectFailure && reason === 'connection_failure') return true;
    return false;
  }

  /** Takes the decision for a failure (`would` = retriable), with Envoy's stats; Yes holds a retry resource. */
  decide(would: boolean): RetryDecision {
    this.release();
    if (!would) return RetryDecision.No;
    if (this.remaining === 0) {
      this.stats.upstream_rq_retry_limit_exceeded.inc();
      return RetryDecision.LimitExceeded;
    }
    const retries = this.resources.retries;
    if (!retries.canCreate()) {
      this.stats.upstream_rq_retry_overflow.inc();
      return RetryDecision.Overflow;
    }
    this.remaining--;
    retries.inc();
    this.holdsRetry = true;
    this.stats.upstream_rq_retry.inc();
    return RetryDecision.Yes;
  }

  /** Jittered exponential backoff: random in [0, (2^n - 1) × base), capped at the max interval. */
  nextBackoffMs(random: () => number): number {
    const { baseIntervalMs, maxIntervalMs } = this.policy;
    const ceiling = (2 ** this.backoffStep - 1) * baseIntervalMs;
    if (ceiling <= maxIntervalMs) this.backoffStep++;
    return Math.min(Math.floor(random() * ceiling), maxIntervalMs);
  }

  /** Gives back the retry circuit-breaker slot (the retry finished, or the request ended). */
  release(): void {
    if (!this.holdsRetry) return;
    this.holdsRetry = false;
    this.resources.retries.dec();
  }
}
