import type { RpcCodec, RpcConnectionCodec, RpcFrame, RpcLocalStatus } from '../interfaces/rpc-codec.js';
import { RpcProtocolError } from '../interfaces/rpc-codec.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import type { AccessLogContext } from '../observability/access-log/access-log-factory.js';
import { Deadline, deadlineTimer, type DeadlineOwner } from '../server/deadline-queue.js';
import { monotonicNow, wallClockNow } from '../server/io-scope.js';
import type { Cluster } from '../upstream/cluster.js';
import { OutlierResult, type Host } from '../upstream/host.js';
import { randomUint32 } from '../upstream/load-balancers/base.js';
import type { RpcProxyConfig } from './rpc-config.js';
import type { RpcClusterChoice, RpcRoute } from './rpc-route.js';
import { RetryOn } from './rpc-route.js';
import type { MethodStats } from './rpc-stats.js';
import { muxPoolFor, type MuxFailure, type MuxRequest, type RpcMuxConnection, type RpcMuxPool } from './upstream-mux.js';
import { recordIstio } from './rpc-istio.js';
import { startMirrors } from './rpc-mirror.js';
import { LOCAL_CODES, RESPONSE_CODES } from './rpc-codes.js';

/** What a request needs from its downstream connection. */
export interface RpcDownstream {
  readonly config: RpcProxyConfig;
  readonly codecDef: RpcCodec;
  readonly codec: RpcConnectionCodec;
  readonly connInfo: StreamInfo;
  /** `backing`: `bytes.buffer` when known (see RpcFrame.backing). */
  write(bytes: Buffer, backing?: ArrayBufferLike): void;
  /** write() for a frame forwarded where it lies (see RpcConnectionCodec.rewriteResponseInPlace). */
  writeRange(ab: ArrayBufferLike, offset: number, length: number): void;
  requestDone(req: RpcActiveRequest): void;
  /** The upstream socket's buffer is full: stop reading downstream until it drains. */
  blockOn(conn: RpcMuxConnection): void;
}

/**
 * One downstream request from decode to its single response (upstream's or a local reply): route, cluster and
 * host choice, circuit breakers, the timeout (deadline queue), retries, stats and access log.
 */
export class RpcActiveRequest implements MuxRequest, DeadlineOwner, AccessLogContext {
  readonly deadline = new Deadline(this);

  muxConn: RpcMuxConnection | undefined = undefined;
  upstreamId = 0;
  readonly info = new StreamInfo(wallClockNow());
  readonly setHeaders: ReadonlyMap<string, string> | undefined = undefined;
  /** Access log `%REQ(:method)%` and `%REQ(:path)%`: the RPC method and service. */
  readonly method: string;
  readonly path: string;
  private route: RpcRoute | undefined;
  private choice: RpcClusterChoice | undefined;
  private cluster: Cluster | undefined;
  private host: Host | undefined;
  private pool: RpcMuxPool | undefined;
  private methodStats: MethodStats | undefined;
  private timeoutMs = 0;
  private attemptActive = false;
  private retriesLeft = 0;
  private retrying = false;
  private done = false;
  /** Waiting out an injected fault delay (the deadline node is in the delay's list). */
  private delaying = false;
  /** The per-try timeout: a deadline of its own (this request's node carries the fault delay and the route timeout). */
  private tryTimer: Deadline | undefined;
  /** Linked list of a connection's active requests. */
  prev: RpcActiveRequest | null = null;
  next: RpcActiveRequest | null = null;

  constructor(
    private readonly ds: RpcDownstream,
    readonly frame: RpcFrame,
  ) {
    this.method = frame.method;
    this.path = frame.service;
  }

  /** The first attempt of a request that is not mirrored: nothing else will send its bytes (see MuxRequest). */
  get sendsOnce(): boolean {
    return this.info.upstreamRequestAttemptCount === 1 && (this.route as RpcRoute).mirrors.length === 0;
  }

  start(): void {
    const { ds, frame, info } = this;
    const stats = ds.config.stats;
    stats.request.inc();
    if (frame.oneway) stats.requestOneway.inc();
    stats.requestActive.inc();
    info.startMonotonicMs = monotonicNow();
    info.protocol = ds.codecDef.name;
    // Only access logs read the connection's fields and the id (a number-to-string) from a request's info.
    if (ds.config.accessLoggers.length !== 0) {
      info.copyDownstream(ds.connInfo, ds.connInfo.connectionId);
      info.requestId = String(frame.requestId);
    }
    info.bytesReceived = frame.size;

    if (frame.badRequest !== undefined) {
      this.localReply('bad_request', frame.badRequest);
      return;
    }
    let route: RpcRoute | undefined;
    try {
      for (const r of ds.config.routes) {
        if (r.matches(frame)) {
          route = r;
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof RpcProtocolError)) throw err;
      this.localReply('bad_request', `cannot decode the arguments: ${err.message}`);
      return;
    }
    if (route === undefined) {
      info.setResponseFlag(ResponseFlag.NoRouteFound);
      this.localReply('no_route', `no route for ${frame.service}.${frame.method}`);
      return;
    }
    this.route = route;
    info.routeName = route.name;
    this.methodStats = stats.method(frame.service, frame.method);
    this.methodStats.request.inc();
    // Like Envoy's HTTP chain local_ratelimit -> fault -> router: the limit first, then the delay, then the abort.
    if (route.rateLimit !== undefined) {
      if (!route.rateLimit.consume()) {
        stats.rateLimited.inc();
        info.setResponseFlag(ResponseFlag.RateLimited);
        this.localReply('rate_limited', 'local rate limited');
        return;
      }
      stats.rateLimitOk.inc();
    }
    const fault = route.fault;
    if (fault !== undefined) {
      const delay = fault.delayFor(randomUint32());
      if (delay > 0) {
        stats.faultDelaysInjected.inc();
        info.setResponseFlag(ResponseFlag.DelayInjected);
        this.delaying = true;
        ds.config.ctx.deadlines.schedule(this.deadline, delay);
        return;
      }
      if (this.faultAbort()) return;
    }
    this.forward();
  }

  /** Answers with the fault's abort when this call draws it. */
  private faultAbort(): boolean {
    const fault = (this.route as RpcRoute).fault;
    if (fault === undefined || !fault.aborts(randomUint32())) return false;
    this.ds.config.stats.faultAbortsInjected.inc();
    this.info.setResponseFlag(ResponseFlag.FaultInjected);
    this.localReply('fault_abort', fault.abortMessage);
    return true;
  }

  /** Cluster and circuit breakers, the route timeout, mirrors, then the first attempt. */
  private forward(): void {
    const { ds, frame, info } = this;
    const route = this.route as RpcRoute;
    // A random draw only when there is a weighted choice to make.
    const choice = route.clusters.length === 1 ? (route.clusters[0] as RpcClusterChoice) : route.pickCluster(randomUint32());
    this.choice = choice;
    info.upstreamCluster = choice.name;
    const cluster = ds.config.ctx.clusterManager.get(choice.name);
    if (cluster === undefined) {
      info.setResponseFlag(ResponseFlag.NoClusterFound);
      this.localReply('no_route', `unknown cluster '${choice.name}'`);
      return;
    }
    this.cluster = cluster;
    const own = frame.requestTimeoutMs;
    this.timeoutMs = route.timeoutMs === 0 ? own : own === 0 ? route.timeoutMs : Math.min(own, route.timeoutMs);
    this.retriesLeft = route.retry?.numRetries ?? 0;
    if (!cluster.resources.DEFAULT.requests.canCreate()) {
      cluster.stats.upstream_rq_pending_overflow.inc();
      info.setResponseFlag(ResponseFlag.UpstreamOverflow);
      this.localReply('overflow', 'upstream overflow');
      return;
    }
    if (route.mirrors.length !== 0) startMirrors(ds, route, frame, this.timeoutMs);
    if (this.timeoutMs > 0 && !frame.oneway) ds.config.ctx.deadlines.schedule(this.deadline, this.timeoutMs);
    this.attempt();
  }

  private attempt(): void {
    const { ds, info } = this;
    const cluster = this.cluster as Cluster;
    const colouring = ds.config.colouring;
    const host = (this.choice as RpcClusterChoice).hosts.choose(cluster, colouring, colouring === undefined ? undefined : this.frame.headers.get(colouring.header), ds.connInfo);
    if (host === undefined) {
      this.endRetry();
      info.setResponseFlag(ResponseFlag.NoHealthyUpstream);
      this.localReply('no_healthy_upstream', 'no healthy upstream');
      return;
    }
    this.host = host;
    info.upstreamHost = host.key;
    info.upstreamRequestAttemptCount++;
    const res = cluster.resources.DEFAULT;
    res.requests.inc();
    cluster.stats.upstream_rq_total.inc();
    cluster.stats.upstream_rq_active.inc();
    host.stats.rq_total++;
    host.activeRequests++;
    this.attemptActive = true;
    const perTry = (this.route as RpcRoute).perTryTimeoutMs;
    if (perTry > 0 && !this.frame.oneway) ds.config.ctx.deadlines.schedule((this.tryTimer ??= deadlineTimer(() => this.onPerTryTimeout())), perTry);
    const cfg = ds.config;
    const pool = muxPoolFor(cluster, cluster.pool(host, 'rpc'), ds.codecDef, cfg.mux, cfg.onUpstreamHeartbeat);
    this.pool = pool;
    if (!pool.send(this) && this.muxConn !== undefined) ds.blockOn(this.muxConn);
  }

  onUpstreamSent(conn: RpcMuxConnection): void {
    this.info.upstreamLocalAddress = conn.pooled.localAddress;
    if (!this.frame.oneway) return;
    // Oneway: written upstream is done; nothing comes back.
    this.endAttempt(true);
    this.complete();
  }

  onUpstreamResponse(f: RpcFrame): void {
    if (this.done) return;
    const cluster = this.cluster as Cluster;
    const host = this.host as Host;
    const ok = f.status === 'ok';
    host.outlier.putResult(ok ? OutlierResult.EXT_ORIGIN_REQUEST_SUCCESS : OutlierResult.EXT_ORIGIN_REQUEST_FAILED);
    cluster.stats.upstream_rq_time.record(monotonicNow() - this.info.startMonotonicMs);
    this.endAttempt(ok);
    if (f.status === 'server_error' && this.mayRetry(RetryOn.SERVER_ERROR)) {
      this.retry();
      return;
    }
    if (this.retrying) {
      this.retrying = false;
      if (ok) cluster.stats.upstream_rq_retry_success.inc();
    }
    this.endRetry();
    const ds = this.ds;
    const codec = ds.codec;
    if (codec.rewriteResponseInPlace !== undefined && codec.rewriteResponseInPlace(f, this.frame.requestId)) {
      ds.writeRange(f.backing as ArrayBufferLike, f.backingOffset as number, f.size);
    } else {
      const out = codec.rewriteResponse(f, this.frame.requestId);
      ds.write(out, out === f.bytes ? f.backing : undefined);
    }
    const stats = this.ds.config.stats;
    stats.response.inc();
    if (ok) {
      stats.responseSuccess.inc();
      this.methodStats?.responseSuccess.inc();
    } else {
      stats.responseError.inc();
      this.methodStats?.responseError.inc();
    }
    this.info.bytesSent = f.size;
    this.info.responseCode = RESPONSE_CODES[f.status];
    this.info.responseCodeDetails = ok ? 'via_upstream' : `upstream_${f.status}`;
    this.complete();
  }

  onUpstreamFailure(kind: MuxFailure, reason: string): void {
    if (this.done) return;
    this.endAttempt(false);
    const info = this.info;
    if (kind === 'overflow') {
      this.endRetry();
      info.setResponseFlag(ResponseFlag.UpstreamOverflow);
      this.localReply('overflow', 'upstream overflow');
      return;
    }
    if (this.mayRetry(kind === 'reset' ? RetryOn.RESET : RetryOn.CONNECT_FAILURE)) {
      this.retry();
      return;
    }
    this.endRetry();
    info.upstreamTransportFailureReason = reason;
    info.setResponseFlag(kind === 'reset' ? ResponseFlag.UpstreamConnectionTermination : ResponseFlag.UpstreamConnectionFailure);
    this.localReply('upstream_unavailable', `upstream unavailable: ${reason}`);
  }

  /** The fault delay's end, or the route / request timeout. */
  onDeadline(): void {
    if (this.done) return;
    if (this.delaying) {
      this.delaying = false;
      if (!this.faultAbort()) this.forward();
      return;
    }
    this.timedOut(false);
  }

  /** The current attempt's per-try timeout. */
  onPerTryTimeout(): void {
    if (!this.done && this.attemptActive) this.timedOut(true);
  }

  private timedOut(perTry: boolean): void {
    this.detachUpstream();
    if (this.attemptActive) {
      const cluster = this.cluster as Cluster;
      const host = this.host as Host;
      (perTry ? cluster.stats.upstream_rq_per_try_timeout : cluster.stats.upstream_rq_timeout).inc();
      host.stats.rq_timeout++;
      host.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT);
    }
    this.endAttempt(false);
    // Without a per-try timeout, with retry_on timeout the route timeout applies to each attempt.
    if ((perTry || (this.route as RpcRoute).perTryTimeoutMs === 0) && this.mayRetry(RetryOn.TIMEOUT)) {
      if (!perTry) this.ds.config.ctx.deadlines.schedule(this.deadline, this.timeoutMs);
      this.retry();
      return;
    }
    this.endRetry();
    this.info.setResponseFlag(ResponseFlag.UpstreamRequestTimeout);
    this.localReply('timeout', perTry ? 'upstream per-try timeout' : 'upstream request timeout');
  }

  /** The downstream connection closed with this request in flight. */
  downstreamClosed(): void {
    if (this.done) return;
    this.detachUpstream();
    this.endAttempt(false);
    this.endRetry();
    this.info.setResponseFlag(ResponseFlag.DownstreamConnectionTermination);
    this.complete();
  }

  private detachUpstream(): void {
    if (this.muxConn !== undefined) this.muxConn.cancel(this);
    else this.pool?.cancelPending(this);
  }

  private mayRetry(condition: number): boolean {
    const policy = this.route?.retry;
    if (policy === undefined || (policy.retryOn & condition) === 0) return false;
    const cluster = this.cluster as Cluster;
    if (this.retriesLeft <= 0) {
      cluster.stats.upstream_rq_retry_limit_exceeded.inc();
      this.info.setResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
      return false;
    }
    if (!cluster.resources.DEFAULT.retries.canCreate()) {
      cluster.stats.upstream_rq_retry_overflow.inc();
      return false;
    }
    return true;
  }

  private retry(): void {
    const cluster = this.cluster as Cluster;
    this.retriesLeft--;
    cluster.stats.upstream_rq_retry.inc();
    if (!this.retrying) cluster.resources.DEFAULT.retries.inc();
    this.retrying = true;
    this.attempt();
  }

  private endRetry(): void {
    if (!this.retrying) return;
    this.retrying = false;
    (this.cluster as Cluster).resources.DEFAULT.retries.dec();
  }

  private endAttempt(success: boolean): void {
    if (!this.attemptActive) return;
    this.attemptActive = false;
    this.tryTimer?.cancel();
    const cluster = this.cluster as Cluster;
    const host = this.host as Host;
    cluster.resources.DEFAULT.requests.dec();
    cluster.stats.upstream_rq_active.dec();
    cluster.stats.upstream_rq_completed.inc();
    host.activeRequests--;
    if (success) host.stats.rq_success++;
    else host.stats.rq_error++;
  }

  private localReply(status: RpcLocalStatus, message: string): void {
    const bytes = this.ds.codec.encodeLocalReply(this.frame, status, message);
    if (bytes !== undefined) {
      this.ds.write(bytes);
      this.info.bytesSent = bytes.length;
    }
    this.ds.config.stats.localReply[status].inc();
    this.methodStats?.localReply.inc();
    this.info.responseCode = LOCAL_CODES[status];
    this.info.responseCodeDetails = `rpc_${status}`;
    this.complete();
  }

  private complete(): void {
    if (this.done) return;
    this.done = true;
    this.deadline.cancel();
    const info = this.info;
    info.durationMs = monotonicNow() - info.startMonotonicMs;
    const stats = this.ds.config.stats;
    stats.requestActive.dec();
    stats.requestTime.record(info.durationMs);
    this.methodStats?.requestTime.record(info.durationMs);
    for (const logger of this.ds.config.accessLoggers) logger.log(this);
    recordIstio(this.ds.config.ctx.istio, this.ds.codecDef.name, info);
    this.ds.requestDone(this);
  }
}
