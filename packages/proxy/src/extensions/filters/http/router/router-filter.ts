import type { HeaderMap } from '../../../../interfaces/header-map.js';
import { FilterStatus, type HttpRequest, type StreamDecoderFilter, type StreamFilterCallbacks } from '../../../../interfaces/http-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { HttpStreamPool, UpstreamResetReason } from '../../../../interfaces/upstream-stream.js';
import { Deadline, type DeadlineOwner } from '../../../../server/deadline-queue.js';
import { monotonicNow } from '../../../../server/io-scope.js';
import type { ClusterResources } from '../../../../upstream/circuit-breakers.js';
import type { Cluster } from '../../../../upstream/cluster.js';
import type { LbContext } from '../../../../upstream/load-balancers/base.js';
import { NOOP_HC_MONITOR, NOOP_OUTLIER_MONITOR, OutlierResult, type Host } from '../../../../upstream/host.js';
import { outlierStatus } from './outlier-status.js';
import { TcpTunnelPool } from '../../../../upstream/tcp-tunnel-stream.js';
import type { RouteRequest } from '../../../../router/route-request.js';
import { RetryDecision, RetryState } from '../../../../router/retry-state.js';
import { EMPTY_RETRY_POLICY } from '../../../../router/retry-policy.js';
import { PreviousPriorities } from '../../../../router/previous-priorities.js';
import {
  applyRequestMutations,
  applyResponseMutations,
  type ClusterRouteAction,
  type HeaderFormatContext,
  type RouteEntry,
  type WeightedClusterEntry,
} from '../../../../router/route-table.js';
import type { RouterConfig } from './config.js';
import { computeTimeouts } from './timeouts.js';
import { UpstreamRequest, type AttemptOwner } from './upstream-request.js';
import { startShadows, type ShadowRequest } from './shadow-request.js';
import { RequestBody } from './request-body.js';
import { directReplyHeaders, headerFormatContext } from './format-context.js';
import { resetDetails, resetFlag, resetReplyBody } from './reset-reasons.js';
import { isIdempotentMethod } from './resend.js';

/**
 * The terminal HTTP filter: resolves the route's action (cluster, redirect, direct response), picks a host and
 * runs the request as one or more attempts (retries, per-try and global timeouts, circuit breakers), streaming the
 * response back with flow control both ways. Upstreams are reached through protocol-agnostic stream pools.
 */
export class RouterFilter implements StreamDecoderFilter, DeadlineOwner, AttemptOwner {
  readonly deadline = new Deadline(this);

  private cb!: StreamFilterCallbacks;
  private req!: HttpRequest;
  private routeReq!: RouteRequest;
  private route: RouteEntry | undefined;
  private action: ClusterRouteAction | undefined;
  private cluster: Cluster | undefined;
  private resources: ClusterResources | undefined;
  private weightedCluster: WeightedClusterEntry | undefined;
  private attempt: UpstreamRequest | undefined;
  private attempts = 0;
  /** Re-sent once already after the keep-alive race (see mayResend). */
  private resent = false;
  /** Some attempt sent bytes upstream (Envoy's upstream_request_started_, sticky across attempts). */
  private requestStarted = false;
  /** Set while a retry may still happen; every body chunk is held (replayable) exactly as long as this is. */
  private retry: RetryState | undefined;
  private triedHosts: Host[] | undefined;
  private triedPriorities: PreviousPriorities | undefined;
  private hash: number | undefined;
  private readonly body = new RequestBody();
  private responseStarted = false;
  private done = false;
  private downstreamBlocked = false;
  private responsePaused = false;
  private timeoutMs = 0;
  private perTryTimeoutMs = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private retryingAfterTimeout = false;
  /** Mirrors of this request (request_mirror_policies), fed the body as it arrives. */
  private shadows: ShadowRequest[] | undefined;
  /** Upgrade / CONNECT: body data both ways is tunnel payload; no retries, no route timeout. */
  private tunnel = false;
  /** CONNECT on a route with connect_config: a TCP connection to the host instead of an HTTP request. */
  private terminateConnect = false;

  constructor(private readonly config: RouterConfig) {}

  setDecoderCallbacks(callbacks: StreamFilterCallbacks): void {
    this.cb = callbacks;
    this.req = callbacks.request;
    this.routeReq = callbacks.routeRequest;
  }

  decodeHeaders(endStream: boolean): FilterStatus {
    const req = this.req;
    const info = this.cb.info;
    const stats = this.config.hcmStats;
    stats.routerRqTotal.inc();
    const route = this.cb.route;
    this.route = route;
    if (!route) {
      stats.noRoute.inc();
      this.cb.sendLocalReply(404, '', { details: 'route_not_found', flags: ResponseFlag.NoRouteFound });
      return FilterStatus.StopIteration;
    }
    const action = route.action;
    if (action.kind === 'direct_response') {
      stats.rqDirectResponse.inc();
      this.sendDirect(action.status, action.body, []);
      return FilterStatus.StopIteration;
    }
    if (action.kind === 'redirect') {
      stats.rqRedirect.inc();
      this.sendDirect(action.status, '', [['location', action.redirectLocation(this.routeReq)]]);
      return FilterStatus.StopIteration;
    }
    const picked = action.pickCluster(this.routeReq);
    const cluster = picked ? this.config.ctx.clusterManager.get(picked.name) : undefined;
    if (picked) info.upstreamCluster = picked.name;
    if (!picked || !cluster) {
      stats.noCluster.inc();
      this.cb.sendLocalReply(action.clusterNotFoundResponseCode, '', { details: 'cluster_not_found', flags: ResponseFlag.NoClusterFound });
      return FilterStatus.StopIteration;
    }
    this.action = action;
    this.cluster = cluster;
    this.resources = cluster.resources[action.priority];
    this.weightedCluster = picked.weighted;
    const headers = req.headers;
    if (route.requestMutations.length !== 0 || picked.weighted !== undefined) applyRequestMutations(route, headers, this.formatContext(), picked.weighted);
    const hostRewrite = action.hostRewriteFor(this.routeReq, picked);
    const newPath = action.rewritePath(req.path, this.routeReq);
    if (newPath !== req.path) {
      headers.set('x-envoy-original-path', req.path);
      req.path = newPath;
    }
    if (hostRewrite !== undefined) this.rewriteHost(hostRewrite, action.appendXForwardedHost);
    // Only an allowed upgrade keeps its Upgrade header this far (the connection manager strips it otherwise).
    this.tunnel = req.method === 'CONNECT' || headers.has('upgrade');
    this.terminateConnect = req.method === 'CONNECT' && action.connectTerminate;
    const policy = action.retryPolicy ?? route.virtualHost.retryPolicy;
    if (!this.tunnel && (policy !== undefined || headers.has('x-envoy-retry-on') || headers.has('x-envoy-retry-grpc-on'))) {
      this.retry = RetryState.create(policy ?? EMPTY_RETRY_POLICY, this.routeReq, this.resources, cluster.stats);
    }
    const t = computeTimeouts(action, headers, this.retry?.perTryTimeoutMs ?? 0);
    // A tunnel's request never ends in HTTP terms: only idle timeouts apply to it.
    this.timeoutMs = this.tunnel ? 0 : t.globalMs;
    this.perTryTimeoutMs = this.tunnel ? 0 : t.perTryMs;
    if (!this.config.suppressEnvoyHeaders && t.expectedMs > 0 && !this.tunnel) headers.set('x-envoy-expected-rq-timeout-ms', String(t.expectedMs));
    this.hash = action.hashPolicy ? action.computeHash(this.routeReq) : undefined;
    const host = cluster.chooseHost(cluster.type === 'ORIGINAL_DST' ? this.originalDstContext(undefined) : this.hash === undefined ? undefined : { hash: this.hash });
    if (!host) {
      this.cb.sendLocalReply(503, 'no healthy upstream', { details: 'no_healthy_upstream', flags: ResponseFlag.NoHealthyUpstream });
      return FilterStatus.StopIteration;
    }
    if (action.autoHostRewrite && host.hostname && hostRewrite === undefined) this.rewriteHost(host.hostname, action.appendXForwardedHost);
    if (route.mirrorPolicies.length !== 0 && !this.tunnel) {
      this.shadows = startShadows(route.mirrorPolicies, req, this.routeReq.random, this.hash, this.config.ctx, this.retryBufferLimit(), this.timeoutMs, endStream);
    }
    if (endStream) this.onRequestEnd();
    this.startAttempt(host);
    return FilterStatus.StopIteration;
  }

  private rewriteHost(host: string, appendXForwardedHost: boolean): void {
    const req = this.req;
    if (appendXForwardedHost && req.authority) {
      const xfh = req.headers.getJoined('x-forwarded-host');
      req.headers.set('x-forwarded-host', xfh ? `${xfh},${req.authority}` : req.authority);
    }
    req.authority = host;
    req.headers.set('host', host);
  }

  decodeData(data: Buffer, endStream: boolean): FilterStatus {
    const shadows = this.shadows;
    if (shadows !== undefined) for (let i = 0; i < shadows.length; i++) (shadows[i] as ShadowRequest).onBody(data, endStream);
    if (this.done) return FilterStatus.StopIteration;
    const a = this.attempt;
    if (data.length > 0) {
      if (a !== undefined && a.stream !== undefined && this.retry === undefined && this.body.isEmpty && !a.isFinished) {
        // Streaming without retries: straight through (and no longer replayable).
        this.body.released = true;
        if (endStream) this.onRequestEnd();
        if (!a.stream.encodeData(data, endStream)) this.blockDownstream();
        if (endStream) this.requestSentOn(a);
        return FilterStatus.StopIteration;
      }
      this.body.hold(data);
      if (this.retry !== undefined && this.body.bytes > this.retryBufferLimit()) {
        // Too large to replay: this request will not be retried.
        this.cluster?.stats.retry_or_shadow_abandoned.inc();
        this.retry.release();
        this.retry = undefined;
      }
    }
    if (endStream) this.onRequestEnd();
    if (a !== undefined && a.stream !== undefined) this.flushRequest(a);
    else if (this.body.bytes > this.config.bufferLimitBytes) this.blockDownstream();
    return FilterStatus.StopIteration;
  }

  decodeTrailers(trailers: HeaderMap): FilterStatus {
    if (this.shadows !== undefined) for (const s of this.shadows) s.onTrailers(trailers);
    if (this.done) return FilterStatus.StopIteration;
    this.body.trailers = trailers;
    this.onRequestEnd();
    const a = this.attempt;
    if (a !== undefined && a.stream !== undefined) this.flushRequest(a);
    return FilterStatus.StopIteration;
  }

  onDownstreamDrain(): void {
    if (this.responsePaused) {
      this.responsePaused = false;
      this.attempt?.stream?.readDisable(false);
    }
  }

  onDestroy(): void {
    if (this.done) return;
    // Downstream went away (or the stream was reset) while the upstream request was still running.
    this.finish();
  }

  // ---- attempts ----

  /** `resend`: the same attempt again on a fresh connection after the keep-alive race (not a retry). */
  private startAttempt(host: Host, resend = false): void {
    const cluster = this.cluster as Cluster;
    const resources = this.resources as ClusterResources;
    this.cb.info.upstreamHost = host.key;
    if (!resources.requests.canCreate()) {
      cluster.stats.upstream_rq_pending_overflow.inc();
      this.failRequest('overflow', '');
      return;
    }
    const a = new UpstreamRequest(this, cluster, host, resources);
    this.attempt = a;
    if (!resend) {
      this.attempts++;
      if (this.retry?.avoidPreviousHosts) (this.triedHosts ??= []).push(host);
      const every = this.retry?.previousPrioritiesFrequency ?? 0;
      if (every > 0) (this.triedPriorities ??= new PreviousPriorities(every)).onHostAttempted(host);
    }
    a.start(this.streamPool(cluster, host), resend);
  }

  /** Terminated CONNECT: raw TCP; other tunnels: HTTP/1.1 (no extended CONNECT upstream); else the cluster's protocol. */
  private streamPool(cluster: Cluster, host: Host): HttpStreamPool {
    if (this.terminateConnect) return new TcpTunnelPool(cluster.pool(host, 'tcp'));
    if (!this.tunnel && cluster.upstreamProtocol(this.req.protocol) === 'HTTP/2') return cluster.http2Pool(host);
    return cluster.httpStreamPool(host);
  }

  onAttemptReady(a: UpstreamRequest): void {
    if (a !== this.attempt || this.done) return;
    const info = this.cb.info;
    const req = this.req;
    const stream = a.stream;
    if (stream === undefined) return;
    info.upstreamLocalAddress = stream.localAddress;
    const vh = (this.route as RouteEntry).virtualHost;
    if (vh.includeRequestAttemptCount) req.headers.set('x-envoy-attempt-count', String(this.attempts));
    if (this.attempts > 1 && vh.includeIsTimeoutRetryHeader) req.headers.set('x-envoy-is-timeout-retry', this.retryingAfterTimeout ? 'true' : 'false');
    const endStream = this.body.headOnly;
    stream.encodeHeaders(req, req.headers, endStream);
    this.requestStarted = true;
    if (info.firstUpstreamTxByteMs < 0) info.firstUpstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
    if (endStream) this.requestSentOn(a);
    else this.flushRequest(a);
    if (this.downstreamBlocked && !a.isFinished && a.stream !== undefined && this.body.bytes <= this.config.bufferLimitBytes) this.unblockDownstream();
  }

  /** Writes what the attempt has not sent yet; keeps the chunks only while a retry may replay them. */
  private flushRequest(a: UpstreamRequest): void {
    const stream = a.stream;
    if (stream === undefined || a.isFinished || a.requestSent) return;
    const { ok, complete } = this.body.writeTo(stream, a, this.retry !== undefined);
    if (complete) this.requestSentOn(a);
    if (!ok) this.blockDownstream();
  }

  private requestSentOn(a: UpstreamRequest): void {
    a.requestSent = true;
    const info = this.cb.info;
    info.lastUpstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
    if (this.perTryTimeoutMs > 0 && !a.deadline.armed) this.config.ctx.deadlines.list(this.perTryTimeoutMs).schedule(a.deadline);
  }

  private onRequestEnd(): void {
    if (this.body.ended) return;
    this.body.ended = true;
    if (this.timeoutMs > 0 && !this.deadline.armed) this.config.ctx.deadlines.list(this.timeoutMs).schedule(this.deadline);
  }

  onAttemptWritable(a: UpstreamRequest): void {
    if (a === this.attempt && this.downstreamBlocked) this.unblockDownstream();
  }

  private blockDownstream(): void {
    if (this.downstreamBlocked) return;
    this.downstreamBlocked = true;
    this.cb.readDisable(true);
  }

  private unblockDownstream(): void {
    this.downstreamBlocked = false;
    this.cb.readDisable(false);
  }

  // ---- response ----

  onAttemptHeaders(a: UpstreamRequest, status: number, headers: HeaderMap, endStream: boolean): void {
    if (a !== this.attempt || this.done) return;
    const cluster = this.cluster as Cluster;
    const host = a.host;
    // Without health checks / outlier detection the host carries no-op monitors: skip the header lookups.
    if (host.healthChecker !== NOOP_HC_MONITOR && headers.has('x-envoy-immediate-health-check-fail')) host.healthChecker.setUnhealthyImmediate();
    if (host.outlier !== NOOP_OUTLIER_MONITOR) host.outlier.putHttpResponseCode(outlierStatus(status, headers));
    const cs = cluster.stats;
    cs.rqCode(status).inc();
    cs.rqClass(status).inc();
    cs.upstream_rq_completed.inc();
    const retry = this.retry;
    if (retry !== undefined) {
      const decision = retry.decide(retry.wouldRetryHeaders(status, headers));
      if (decision === RetryDecision.Yes) {
        a.finish(!endStream);
        this.scheduleRetry(false);
        return;
      }
      if (decision === RetryDecision.LimitExceeded) this.cb.info.setResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
      else if (decision === RetryDecision.Overflow) this.cb.info.setResponseFlag(ResponseFlag.UpstreamOverflow);
      else if (decision === RetryDecision.No && this.attempts > 1) cs.upstream_rq_retry_success.inc();
    }
    const info = this.cb.info;
    this.responseStarted = true;
    info.responseCodeDetails = 'via_upstream';
    info.firstUpstreamRxByteMs = monotonicNow() - info.startMonotonicMs;
    if (endStream) this.completeAttempt(a);
    if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-upstream-service-time', String(Math.round(monotonicNow() - a.startMs)));
    const route = this.route as RouteEntry;
    if (route.virtualHost.includeAttemptCountInResponse) headers.set('x-envoy-attempt-count', String(this.attempts));
    if (route.responseMutations.length !== 0 || this.weightedCluster !== undefined) applyResponseMutations(route, headers, this.formatContext(headers), this.weightedCluster);
    this.cb.encodeHeaders({ status, headers }, endStream);
  }

  onAttemptData(a: UpstreamRequest, chunk: Buffer, endStream: boolean): void {
    if (a !== this.attempt || this.done) return;
    if (endStream) {
      this.completeAttempt(a);
      this.cb.encodeData(chunk, true);
      return;
    }
    if (!this.cb.encodeData(chunk, false) && !this.responsePaused) {
      this.responsePaused = true;
      a.stream?.readDisable(true);
    }
  }

  onAttemptTrailers(a: UpstreamRequest, trailers: HeaderMap): void {
    if (a !== this.attempt || this.done) return;
    this.completeAttempt(a);
    this.cb.encodeTrailers(trailers);
  }

  private completeAttempt(a: UpstreamRequest): void {
    const info = this.cb.info;
    info.lastUpstreamRxByteMs = monotonicNow() - info.startMonotonicMs;
    a.finish(false);
    this.finish();
  }

  onAttemptReset(a: UpstreamRequest, reason: UpstreamResetReason, detail: string): void {
    if (a !== this.attempt || this.done) return;
    if (this.mayResend(a)) {
      // The keep-alive race, not a host failure: no outlier result, no retry consumed.
      a.finish(true);
      this.resent = true;
      (this.cluster as Cluster).stats.upstream_rq_retry_reused_connection.inc();
      this.attempt = undefined;
      this.responsePaused = false;
      this.startAttempt(a.host, true);
      return;
    }
    // Connect failures are reported by the pool; overflow is our own circuit breaker, not the host's fault.
    if (reason !== 'overflow' && reason !== 'connection_failure') a.host.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    a.finish(true);
    if (!this.responseStarted && this.maybeRetryReset(reason, this.requestStarted, false)) return;
    this.failRequest(reason, detail);
  }

  /**
   * RFC 9112 §9.3.1: a request that went out on a reused connection the peer closed before any response byte may
   * be re-sent once, on a fresh connection, if its method is idempotent and the whole request can be replayed
   * (no body, or every body chunk still held).
   */
  private mayResend(a: UpstreamRequest): boolean {
    return a.stream?.staleConnection === true && !this.resent && !this.responseStarted && !this.body.released && isIdempotentMethod(this.req.method);
  }

  onPerTryTimeout(a: UpstreamRequest): void {
    if (a !== this.attempt || this.done) return;
    const cluster = this.cluster as Cluster;
    cluster.stats.upstream_rq_per_try_timeout.inc();
    a.host.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT, 504);
    a.finish(true);
    if (!this.responseStarted && this.maybeRetryReset('local_reset', true, true)) return;
    this.timeoutRequest('upstream_per_try_timeout');
  }

  /** Global route timeout. */
  onDeadline(): void {
    if (this.done) return;
    (this.cluster as Cluster).stats.upstream_rq_timeout.inc();
    const a = this.attempt;
    if (a !== undefined && !a.isFinished) a.host.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT, 504);
    a?.finish(true);
    this.timeoutRequest('upstream_response_timeout');
  }

  private timeoutRequest(details: string): void {
    const info = this.cb.info;
    info.setResponseFlag(ResponseFlag.UpstreamRequestTimeout);
    const started = this.responseStarted;
    this.finish();
    if (started) this.cb.resetStream(details);
    else this.cb.sendLocalReply(504, 'upstream request timeout', { details, flags: ResponseFlag.UpstreamRequestTimeout });
  }

  private maybeRetryReset(reason: UpstreamResetReason, requestStarted: boolean, timeout: boolean): boolean {
    const retry = this.retry;
    if (retry === undefined) return false;
    const decision = retry.decide(retry.wouldRetryReset(reason, requestStarted));
    if (decision === RetryDecision.Yes) {
      this.scheduleRetry(timeout);
      return true;
    }
    if (decision === RetryDecision.LimitExceeded) this.cb.info.setResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
    else if (decision === RetryDecision.Overflow) this.cb.info.setResponseFlag(ResponseFlag.UpstreamOverflow);
    return false;
  }

  private scheduleRetry(afterTimeout: boolean): void {
    this.retryingAfterTimeout = afterTimeout;
    this.attempt = undefined;
    this.responsePaused = false;
    const wait = (this.retry as RetryState).nextBackoffMs(Math.random);
    this.backoffTimer = setTimeout(() => this.doRetry(), wait);
  }

  private doRetry(): void {
    this.backoffTimer = undefined;
    if (this.done) return;
    const host = this.chooseRetryHost();
    if (host === undefined) {
      this.finish();
      this.cb.sendLocalReply(503, 'no healthy upstream', { details: 'no_healthy_upstream', flags: ResponseFlag.NoHealthyUpstream });
      return;
    }
    this.startAttempt(host);
  }

  /** ORIGINAL_DST clusters pick the host from the downstream connection's destination or the override header. */
  private originalDstContext(priorityLoad: LbContext['priorityLoad']): LbContext {
    return { priorityLoad, downstream: this.cb.info, headers: this.req.headers };
  }

  /** With the previous_hosts predicate, up to `host_selection_retry_max_attempts` picks avoid hosts already tried. */
  private chooseRetryHost(): Host | undefined {
    const cluster = this.cluster as Cluster;
    const priorityLoad = this.triedPriorities?.priorityLoad(cluster.lb.priorityState);
    let ctx: LbContext | undefined;
    if (cluster.type === 'ORIGINAL_DST') ctx = this.originalDstContext(priorityLoad);
    else if (this.hash !== undefined || priorityLoad !== undefined) {
      ctx = { priorityLoad };
      if (this.hash !== undefined) ctx.hash = this.hash;
    }
    let host = cluster.chooseHost(ctx);
    const tried = this.triedHosts;
    if (tried !== undefined && this.retry !== undefined) {
      for (let i = 0; i < this.retry.hostSelectionMaxAttempts && host !== undefined && tried.includes(host); i++) host = cluster.chooseHost(ctx);
    }
    return host;
  }

  /** Ends the request with a local reply (or a downstream reset once the response started). */
  private failRequest(reason: UpstreamResetReason, detail: string): void {
    const info = this.cb.info;
    if (reason === 'connection_failure') info.upstreamTransportFailureReason = detail;
    const flag = resetFlag(reason);
    info.setResponseFlag(flag);
    const started = this.responseStarted;
    this.finish();
    if (started) {
      const details = resetDetails(reason, true);
      info.responseCodeDetails = details;
      this.cb.resetStream(details);
      return;
    }
    // Envoy: an upstream protocol error is a 502 (UPE), every other reset a 503.
    this.cb.sendLocalReply(reason === 'protocol_error' ? 502 : 503, resetReplyBody(reason, detail), { details: resetDetails(reason, false), flags: flag });
  }

  private retryBufferLimit(): number {
    const route = this.route as RouteEntry;
    return route.perRequestBufferLimitBytes ?? route.virtualHost.perRequestBufferLimitBytes ?? this.config.bufferLimitBytes;
  }

  // ---- helpers ----

  /** Direct responses and redirects carry the route's response header mutations. */
  private sendDirect(status: number, body: string, extra: Array<[string, string]>): void {
    this.cb.sendLocalReply(status, body, { details: 'direct_response', headers: directReplyHeaders(this.route as RouteEntry, extra, this.formatContext()) });
  }

  private formatContext(responseHeaders?: HeaderMap): HeaderFormatContext {
    return headerFormatContext(this.req, this.cb.info, this.config.ctx.hostname, responseHeaders);
  }

  /** The request is over for the router: stop timers, abandon a running attempt, give back resources. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.deadline.cancel();
    if (this.backoffTimer !== undefined) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    const a = this.attempt;
    if (a !== undefined && !a.isFinished) a.finish(true);
    this.retry?.release();
    this.body.clear();
  }
}
