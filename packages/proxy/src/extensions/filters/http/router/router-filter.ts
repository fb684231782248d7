import type { ResponseHead } from '../../../../codec/http1/types.js';
import type { Http1ParseError } from '../../../../codec/http1/errors.js';
import { encodeChunkHeader, encodeLastChunk, encodeTrustedRequestHead } from '../../../../codec/http1/encoder.js';
import type { HeaderMap } from '../../../../interfaces/header-map.js';
import { FilterStatus, type StreamDecoderFilter, type StreamFilterCallbacks } from '../../../../interfaces/http-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { DeadlineList, DeadlineNode } from '../../../../server/deadline-queue.js';
import type { Cluster } from '../../../../upstream/cluster.js';
import type { ConnectionPool, PooledConnection, PoolError, PoolReadyHandler } from '../../../../upstream/connection-pool.js';
import type { Host } from '../../../../upstream/host.js';
import type { RouteRequest } from '../../../../router/route-request.js';
import type { HttpRequest } from '../../../../interfaces/http-filter.js';
import type { RouterConfig } from './config.js';
import { UpstreamHttp1Codec, type UpstreamResponseHandler } from './upstream-codec.js';
import { applyRequestMutations, applyResponseMutations, type HeaderFormatContext, type RouteEntry, type WeightedClusterEntry } from '../../../../router/route-table.js';
import { HeaderMap as HeaderMapClass } from '../../../../interfaces/header-map.js';
import { monotonicNow } from '../../../../server/io-scope.js';

const CRLF = '\r\n';
const EMPTY = Buffer.alloc(0);

/**
 * The terminal HTTP filter: resolves the route's action (cluster, redirect, direct response), picks a host, sends
 * the request over a pooled HTTP/1.1 connection and streams the response back with flow control both ways.
 */
export class RouterFilter implements StreamDecoderFilter, UpstreamResponseHandler, DeadlineNode, PoolReadyHandler {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  private cb!: StreamFilterCallbacks;
  private req!: HttpRequest;
  private routeReq!: RouteRequest;
  private route: RouteEntry | undefined;
  private cluster: Cluster | undefined;
  private host: Host | undefined;
  private conn: PooledConnection | undefined;
  private pool: ConnectionPool | undefined;
  private codec: UpstreamHttp1Codec | undefined;
  private pending: { cancel(): void } | undefined;
  /** Request body chunks received before the upstream connection was ready. */
  private buffered: Buffer[] | undefined;
  private bufferedBytes = 0;
  private bufferedTrailers: HeaderMap | undefined;
  private requestEnded = false;
  private requestFullySent = false;
  private chunkedRequest = false;
  private responseStarted = false;
  private responseEnded = false;
  private upstreamStartMs = 0;
  private timeoutMs = 0;
  private done = false;
  private upstreamPaused = false;
  private weightedCluster: WeightedClusterEntry | undefined;
  private responseKeepAlive = false;

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
    this.cluster = cluster;
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
    this.timeoutMs = this.computeTimeout(action.timeoutMs, headers);
    const hash = action.hashPolicy ? action.computeHash(this.routeReq) : undefined;
    const host = cluster.chooseHost(hash === undefined ? undefined : { hash });
    if (!host) {
      this.cb.sendLocalReply(503, 'no healthy upstream', { details: 'no_healthy_upstream', flags: ResponseFlag.NoHealthyUpstream });
      return FilterStatus.StopIteration;
    }
    this.host = host;
    if (action.autoHostRewrite && host.hostname && hostRewrite === undefined) this.rewriteHost(host.hostname, action.appendXForwardedHost);
    info.upstreamHost = host.key;
    this.chunkedRequest = !endStream && !headers.has('content-length');
    if (endStream) this.requestEnded = true;
    if (!this.config.suppressEnvoyHeaders && this.timeoutMs > 0) headers.set('x-envoy-expected-rq-timeout-ms', String(this.timeoutMs));
    this.upstreamStartMs = monotonicNow();
    cluster.stats.upstream_rq_total.inc();
    cluster.stats.upstream_rq_active.inc();
    host.stats.rq_total++;
    host.stats.rq_active++;
    host.activeRequests++;
    const pool = cluster.pool(host);
    this.pool = pool;
    this.pending = pool.acquire(this) ?? undefined;
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
    if (this.done) return FilterStatus.StopIteration;
    if (endStream) this.requestEnded = true;
    if (!this.codec) {
      if (data.length > 0) {
        (this.buffered ??= []).push(data);
        this.bufferedBytes += data.length;
        if (this.bufferedBytes > this.config.bufferLimitBytes) this.cb.readDisable(true);
      }
      return FilterStatus.StopIteration;
    }
    this.writeBody(data, endStream);
    return FilterStatus.StopIteration;
  }

  decodeTrailers(trailers: HeaderMap): FilterStatus {
    if (this.done) return FilterStatus.StopIteration;
    this.requestEnded = true;
    if (!this.codec) {
      this.bufferedTrailers = trailers;
      return FilterStatus.StopIteration;
    }
    this.writeTrailers(trailers);
    return FilterStatus.StopIteration;
  }

  onDownstreamDrain(): void {
    if (this.upstreamPaused && this.conn) {
      this.upstreamPaused = false;
      this.conn.socket.resume();
    }
  }

  onDestroy(): void {
    if (this.done) return;
    // Downstream went away (or the stream was reset) while the upstream request was still running.
    this.cleanup(false);
  }

  // ---- upstream connection ----

  /** PoolReadyHandler: the connection for this request (or why there is none). */
  onPoolReady(err: PoolError | undefined, conn: PooledConnection | undefined): void {
    this.pending = undefined;
    if (this.done) {
      if (conn) this.pool?.release(conn, true);
      return;
    }
    const info = this.cb.info;
    if (err || !conn) {
      info.upstreamTransportFailureReason = err?.reason ?? '';
      const overflow = err?.kind === 'overflow';
      const reason = overflow ? 'overflow' : 'connection failure';
      const body = overflow
        ? 'upstream connect error or disconnect/reset before headers. reset reason: overflow'
        : `upstream connect error or disconnect/reset before headers. reset reason: ${reason}${err?.reason ? `, transport failure reason: ${err.reason}` : ''}`;
      this.finishUpstream(false);
      this.cb.sendLocalReply(503, body, {
        details: overflow ? 'upstream_reset_before_response_started{overflow}' : 'upstream_reset_before_response_started{connection_failure}',
        flags: overflow ? ResponseFlag.UpstreamOverflow : ResponseFlag.UpstreamConnectionFailure,
      });
      return;
    }
    this.conn = conn;
    info.upstreamLocalAddress = conn.localAddress;
    if (conn.requests === 1) this.cluster?.stats.upstream_cx_http1_total.inc();
    const codec = UpstreamHttp1Codec.of(conn);
    this.codec = codec;
    codec.attach(this, this.req.method === 'HEAD');
    if (this.timeoutMs > 0 && this.requestEnded) this.armTimeout();
    this.writeHead();
  }

  private writeHead(): void {
    const req = this.req;
    const info = this.cb.info;
    const socket = (this.conn as PooledConnection).socket;
    const headers = req.headers;
    if (this.chunkedRequest) headers.set('transfer-encoding', 'chunked');
    const head = encodeTrustedRequestHead(req.method, req.path, headers);
    const buffered = this.buffered;
    if (buffered === undefined && this.requestEnded && !this.bufferedTrailers && !this.chunkedRequest) {
      // The whole request is its head: one write, no cork.
      socket.write(head, 'latin1');
      info.firstUpstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
      this.requestSent();
      return;
    }
    socket.cork();
    socket.write(head, 'latin1');
    info.firstUpstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
    this.buffered = undefined;
    if (buffered) {
      for (let i = 0; i < buffered.length; i++) {
        const last = i === buffered.length - 1 && this.requestEnded && !this.bufferedTrailers;
        this.writeBody(buffered[i] as Buffer, last);
      }
      // Resume the client only if the upstream took the buffered body; otherwise its 'drain' resumes it.
      if (this.bufferedBytes > this.config.bufferLimitBytes && !socket.writableNeedDrain) this.cb.readDisable(false);
      this.bufferedBytes = 0;
    }
    if (this.bufferedTrailers) this.writeTrailers(this.bufferedTrailers);
    else if (this.requestEnded && (!buffered || buffered.length === 0)) this.writeBody(EMPTY, true);
    socket.uncork();
  }

  private writeBody(data: Buffer, endStream: boolean): void {
    const socket = (this.conn as PooledConnection).socket;
    let ok = true;
    if (data.length > 0) {
      if (this.chunkedRequest) {
        socket.write(encodeChunkHeader(data.length), 'latin1');
        socket.write(data);
        ok = socket.write(CRLF, 'latin1');
      } else {
        ok = socket.write(data);
      }
    }
    if (endStream) {
      if (this.chunkedRequest) socket.write(encodeLastChunk(undefined), 'latin1');
      this.requestSent();
    }
    if (!ok) this.cb.readDisable(true);
  }

  private writeTrailers(trailers: HeaderMap): void {
    const socket = (this.conn as PooledConnection).socket;
    if (this.chunkedRequest) socket.write(encodeLastChunk(trailers), 'latin1');
    this.requestSent();
  }

  private requestSent(): void {
    this.requestFullySent = true;
    this.cb.info.lastUpstreamTxByteMs = monotonicNow() - this.cb.info.startMonotonicMs;
    if (this.timeoutMs > 0 && !this.deadlineList && !this.responseEnded) this.armTimeout();
  }

  onUpstreamDrain(): void {
    this.cb.readDisable(false);
  }

  private armTimeout(): void {
    this.config.ctx.deadlines.list(this.timeoutMs).schedule(this);
  }

  onDeadline(): void {
    if (this.done) return;
    const cluster = this.cluster as Cluster;
    cluster.stats.upstream_rq_timeout.inc();
    this.cb.info.setResponseFlag(ResponseFlag.UpstreamRequestTimeout);
    const started = this.responseStarted;
    this.finishUpstream(false);
    if (started) this.cb.resetStream('upstream_response_timeout');
    else this.cb.sendLocalReply(504, 'upstream request timeout', { details: 'upstream_response_timeout', flags: ResponseFlag.UpstreamRequestTimeout });
  }

  // ---- upstream response ----

  onUpstreamHead(head: ResponseHead): void {
    if (this.done) return;
    if (head.status < 200) return; // 100 Continue and other interim responses are absorbed (Envoy's default).
    const info = this.cb.info;
    this.responseStarted = true;
    this.responseKeepAlive = head.keepAlive;
    info.firstUpstreamRxByteMs = monotonicNow() - info.startMonotonicMs;
    const cluster = this.cluster as Cluster;
    const cs = cluster.stats;
    cs.rqCode(head.status).inc();
    cs.rqClass(head.status).inc();
    cs.upstream_rq_completed.inc();
    const headers = head.headers;
    if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-upstream-service-time', String(Math.round(monotonicNow() - this.upstreamStartMs)));
    const route = this.route as RouteEntry;
    if (route.responseMutations.length !== 0 || this.weightedCluster !== undefined) applyResponseMutations(route, headers, this.formatContext(headers), this.weightedCluster);
    const noBody = head.contentLength === 0 || this.req.method === 'HEAD' || head.status === 204 || head.status === 304;
    if (noBody) this.responseEnded = true;
    this.cb.encodeHeaders({ status: head.status, headers }, noBody);
  }

  onUpstreamBody(chunk: Buffer): void {
    if (this.done || this.responseEnded) return;
    if (!this.cb.encodeData(chunk, false)) {
      this.upstreamPaused = true;
      this.conn?.socket.pause();
    }
  }

  onUpstreamTrailers(trailers: HeaderMap): void {
    if (this.done || this.responseEnded) return;
    this.responseEnded = true;
    this.cb.encodeTrailers(trailers);
  }

  onUpstreamComplete(): void {
    if (this.done) return;
    const wasEnded = this.responseEnded;
    this.responseEnded = true;
    const info = this.cb.info;
    info.lastUpstreamRxByteMs = monotonicNow() - info.startMonotonicMs;
    const reusable = this.responseKeepAlive && this.requestFullySent;
    this.finishUpstream(reusable);
    if (!wasEnded) this.cb.encodeData(EMPTY, true);
  }

  onUpstreamError(_err: Http1ParseError): void {
    if (this.done) return;
    this.upstreamReset(ResponseFlag.UpstreamProtocolError, 'protocol error', 'upstream_reset_before_response_started{protocol_error}');
  }

  onUpstreamClose(): void {
    if (this.done) return;
    this.upstreamReset(ResponseFlag.UpstreamConnectionTermination, 'connection termination', 'upstream_reset_before_response_started{connection_termination}');
  }

  private upstreamReset(flag: number, reason: string, details: string): void {
    const started = this.responseStarted;
    this.cb.info.setResponseFlag(flag);
    this.finishUpstream(false);
    if (started) this.cb.resetStream(details.replace('before_response_started', 'after_response_started'));
    else this.cb.sendLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, { details });
  }

  // ---- helpers ----

  /** Direct responses and redirects carry the route's response header mutations. */
  private sendDirect(status: number, body: string, extra: Array<[string, string]>): void {
    const headers = new HeaderMapClass();
    for (const [k, v] of extra) headers.add(k, v);
    applyResponseMutations(this.route as RouteEntry, headers, this.formatContext(headers));
    const all: Array<[string, string]> = [];
    headers.forEach((k, v) => all.push([k, v]));
    this.cb.sendLocalReply(status, body, { details: 'direct_response', headers: all });
  }

  private computeTimeout(routeTimeoutMs: number, headers: HeaderMap): number {
    const override = headers.get('x-envoy-upstream-rq-timeout-ms');
    if (override !== undefined) {
      headers.remove('x-envoy-upstream-rq-timeout-ms');
      const v = Number(override);
      if (Number.isInteger(v) && v >= 0) return v;
    }
    return routeTimeoutMs;
  }

  private formatContext(responseHeaders?: HeaderMap): HeaderFormatContext {
    const req = this.req;
    const ctx: HeaderFormatContext = {
      streamInfo: this.cb.info,
      requestHeaders: req.headers,
      hostname: this.config.ctx.hostname,
      request: { method: req.method, path: req.path, scheme: req.scheme, authority: req.authority },
      ...(responseHeaders ? { responseHeaders } : {}),
    };
    return ctx;
  }

  /** Ends the upstream side; returns the connection to the pool (reusable or not). */
  private finishUpstream(reusable: boolean): void {
    if (this.done) return;
    this.done = true;
    this.deadlineList?.cancel(this);
    const cluster = this.cluster;
    const host = this.host;
    if (cluster && host) {
      cluster.stats.upstream_rq_active.dec();
      host.stats.rq_active--;
      host.activeRequests--;
      const elapsed = monotonicNow() - this.upstreamStartMs;
      cluster.stats.upstream_rq_time.record(elapsed);
    }
    this.pending?.cancel();
    this.pending = undefined;
    const conn = this.conn;
    this.conn = undefined;
    this.codec?.detach();
    if (conn && this.pool) {
      if (this.upstreamPaused) conn.socket.resume();
      this.pool.release(conn, reusable);
    }
  }

  private cleanup(reusable: boolean): void {
    this.finishUpstream(reusable);
  }
}
