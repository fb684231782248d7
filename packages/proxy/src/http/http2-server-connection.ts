import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { http2, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } from '../server/lazy-builtins.js';
import { Duplex } from 'node:stream';
import { decodeRequestHeaders } from '../codec/http2/headers.js';
import { localSettings } from '../codec/http2/options.js';
import { http2CodecStats, type Http2CodecStats } from '../codec/http2/stats.js';
import { HeaderMap } from '../interfaces/header-map.js';
import type { DownstreamConnection, Drainable } from '../interfaces/network-filter.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import type { DeadlineList, DeadlineNode } from '../server/deadline-queue.js';
import { enterIoScope, exitIoScope, monotonicNow } from '../server/io-scope.js';
import { ActiveStream } from './active-stream.js';
import type { HcmConfig } from './hcm-config.js';
import { Http2StreamEncoder, type Http2StreamOwner } from './http2-stream-encoder.js';

/** Pseudo-headers node counts against maxHeaderListPairs on top of the regular ones. */
const PSEUDO_HEADERS = 5;
/** 2^31-1: a GOAWAY naming it announces a drain without refusing any stream yet. */
const MAX_STREAM_ID = 0x7fffffff;

/**
 * The downstream side of an HTTP/2 connection: a node:http2 server session (nghttp2) over the socket we accepted.
 * Each stream becomes an ActiveStream with its own Http2StreamEncoder. Owns the connection's idle/duration timers,
 * max_requests_per_connection and drain (GOAWAY) behaviour.
 */
export class Http2ServerConnection implements Drainable, DeadlineNode, Http2StreamOwner {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  private session!: ServerHttp2Session;
  private readonly codecStats: Http2CodecStats;
  private readonly active = new Set<Http2StreamEncoder>();
  private requests = 0;
  private draining = false;
  private closed = false;
  private localClose = false;
  private readonly idleList: DeadlineList | undefined;
  private readonly streamIdleList: DeadlineList | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private rxFlushed = 0;
  private txFlushed = 0;

  constructor(
    private readonly cfg: HcmConfig,
    private readonly conn: DownstreamConnection,
  ) {
    const deadlines = cfg.ctx.deadlines;
    if (cfg.idleTimeoutMs > 0) this.idleList = deadlines.list(cfg.idleTimeoutMs);
    if (cfg.streamIdleTimeoutMs > 0) this.streamIdleList = deadlines.list(cfg.streamIdleTimeoutMs);
    this.codecStats = http2CodecStats(cfg.ctx.stats);
  }

  /**
   * Starts the session; `initial` are bytes already read from the socket (the sniffed preface), pushed back;
   * `counted`: the connection was already counted in downstream_cx_total/active (by the sniffing HTTP/1 side).
   */
  start(initial?: Buffer, counted = false): void {
    const { cfg, conn } = this;
    const stats = cfg.stats;
    if (!counted) {
      stats.cxTotal.inc();
      stats.cxActive.inc();
    }
    stats.cxHttp2Total.inc();
    stats.cxHttp2Active.inc();
    if (conn.tls !== undefined) {
      stats.cxSslTotal.inc();
      stats.cxSslActive.inc();
    }
    conn.setDrainable(this);
    const socket = conn.socket;
    if (initial && initial.length > 0) socket.unshift(initial);
    const h2 = cfg.http2;
    // A standalone TLSSocket's handle cannot be consumed by nghttp2 (Node 20: the session never sees a byte):
    // over TLS the session reads through a JS duplex instead.
    const transport = conn.tls !== undefined ? Duplex.from({ readable: socket, writable: socket }) : socket;
    const session = http2().performServerHandshake(transport, {
      settings: { ...localSettings(h2, true, conn.bufferLimitBytes), maxHeaderListSize: cfg.maxRequestHeadersBytes },
      maxHeaderListPairs: cfg.maxHeadersCount + PSEUDO_HEADERS,
      // Bounded by flow control and our watermarks; node's default (10 MB) would refuse streams under load.
      maxSessionMemory: 64,
    });
    this.session = session;
    session.on('stream', (s: ServerHttp2Stream, _h: unknown, flags: number, raw: string[]) => this.onStream(s, flags, raw));
    session.on('error', () => this.onSessionError());
    session.on('close', () => this.onSessionClose());
    if (h2.initialConnectionWindowSize > 65535) {
      session.once('localSettings', () => {
        if (!session.destroyed) session.setLocalWindowSize(h2.initialConnectionWindowSize);
      });
    }
    this.idleList?.schedule(this);
    if (cfg.maxConnectionDurationMs > 0) {
      this.durationTimer = setTimeout(() => {
        stats.cxMaxDurationReached.inc();
        this.startDrain();
      }, cfg.maxConnectionDurationMs);
      this.durationTimer.unref();
    }
  }

  // ---- streams ----

  private onStream(h2s: ServerHttp2Stream, flags: number, raw: string[]): void {
    enterIoScope();
    try {
      this.newStream(h2s, flags, raw);
    } finally {
      exitIoScope();
    }
  }

  private newStream(h2s: ServerHttp2Stream, flags: number, raw: string[]): void {
    const { cfg, conn } = this;
    this.requests++;
    this.idleList?.cancel(this);
    const enc = new Http2StreamEncoder(h2s, this);
    const headers = new HeaderMap();
    const stream = new ActiveStream(cfg, enc, conn.id, conn.meta.sourceIp, conn.info, headers, 'HTTP/2');
    enc.stream = stream;
    this.active.add(enc);
    this.codecStats.streamsActive.inc();
    decodeRequestHeaders(raw, stream, headers);
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    enc.requestEnded = endStream;
    if (cfg.maxRequestsPerConnection > 0 && this.requests >= cfg.maxRequestsPerConnection && !this.draining) {
      cfg.stats.cxMaxRequestsReached.inc();
      this.startDrain();
    }
    enc.idleList = this.streamIdleList;
    enc.idleList?.schedule(enc);
    if (cfg.requestTimeoutMs > 0 && !endStream) {
      enc.requestTimer = setTimeout(requestTimeout, cfg.requestTimeoutMs, this, enc);
      enc.requestTimer.unref();
    }
    if (stream.method === 'CONNECT') {
      // No upgrade_configs (refused by the HCM config): Envoy refuses CONNECT without a matching upgrade config.
      stream.requestComplete = true;
      stream.sendLocalReply(403, '', { details: 'upgrade_failed' });
      return;
    }
    if (stream.authority === '') {
      cfg.stats.rqMissingHost.inc();
      stream.requestComplete = true;
      stream.sendLocalReply(400, '', { details: 'missing_host_header', flags: ResponseFlag.DownstreamProtocolError });
      return;
    }
    // Expect: 100-continue is answered by the proxy unless proxy_100_continue (as for HTTP/1).
    if (!endStream && headers.get('expect')?.toLowerCase() === '100-continue') {
      headers.remove('expect');
      if (!cfg.proxy100Continue) enc.encode100Continue();
    }
    stream.decodeHeaders(endStream);
    this.applyRouteIdleTimeout(enc);
  }

  /** A route's `idle_timeout` replaces the connection manager's stream idle timeout (0 disables it). */
  private applyRouteIdleTimeout(enc: Http2StreamEncoder): void {
    const action = enc.stream.route?.action;
    if (enc.stream.destroyed || action?.kind !== 'route' || action.idleTimeoutMs === undefined) return;
    enc.idleList?.cancel(enc);
    enc.idleList = action.idleTimeoutMs > 0 ? this.cfg.ctx.deadlines.list(action.idleTimeoutMs) : undefined;
    enc.idleList?.schedule(enc);
  }

  onStreamTimeout(enc: Http2StreamEncoder): void {
    this.cfg.stats.rqIdleTimeout.inc();
    this.timeoutStream(enc, 'stream_idle_timeout', ResponseFlag.StreamIdleTimeout);
  }

  timeoutRequest(enc: Http2StreamEncoder): void {
    enc.requestTimer = undefined;
    if (enc.stream.requestComplete || enc.stream.destroyed) return;
    this.cfg.stats.rqTimeout.inc();
    this.timeoutStream(enc, 'request_overall_timeout', 0);
  }

  private timeoutStream(enc: Http2StreamEncoder, details: string, flag: number): void {
    const stream = enc.stream;
    if (stream.destroyed) return;
    if (stream.responseStarted) {
      stream.info.setResponseFlag(flag);
      stream.resetStream(details);
      return;
    }
    stream.sendLocalReply(stream.requestComplete ? 504 : 408, details === 'stream_idle_timeout' ? 'stream timeout' : 'request timeout', { details, flags: flag });
  }

  onRequestTrailers(): void {
    this.codecStats.trailers.inc();
  }

  onLocalReset(): void {
    this.codecStats.txReset.inc();
  }

  onStreamClosed(enc: Http2StreamEncoder): void {
    if (!this.active.delete(enc)) return;
    this.codecStats.streamsActive.dec();
    enc.deadlineList?.cancel(enc);
    if (enc.requestTimer) clearTimeout(enc.requestTimer);
    const stream = enc.stream;
    if (!stream.destroyed) {
      // Closed before our response ended: the client reset the stream, or the connection went away.
      if (!enc.localReset && !this.closed && !this.session.destroyed) this.codecStats.rxReset.inc();
      else if (this.closed || this.session.destroyed) this.cfg.stats.cxDestroyActiveRq.inc();
      stream.onDownstreamReset();
    }
    if (this.active.size === 0 && !this.closed && !this.draining) this.idleList?.schedule(this);
  }

  // ---- session events ----

  private onSessionError(): void {
    // nghttp2 protocol errors (bad frames, flow-control violations...) end the session; node destroys it.
    this.cfg.stats.cxProtocolError.inc();
  }

  private onSessionClose(): void {
    if (this.closed) return;
    this.closed = true;
    const stats = this.cfg.stats;
    stats.cxActive.dec();
    stats.cxHttp2Active.dec();
    if (this.conn.tls !== undefined) stats.cxSslActive.dec();
    stats.cxDestroy.inc();
    if (!this.localClose) stats.cxDestroyRemote.inc();
    stats.cxLength.record(monotonicNow() - this.conn.info.startMonotonicMs);
    this.flushBytes();
    this.deadlineList?.cancel(this);
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    for (const enc of [...this.active]) this.onStreamClosed(enc);
    if (!this.conn.socket.destroyed) this.conn.socket.destroy();
  }

  private flushBytes(): void {
    const socket = this.conn.socket;
    const stats = this.cfg.stats;
    if (socket.bytesRead > this.rxFlushed) {
      stats.cxRxBytes.add(socket.bytesRead - this.rxFlushed);
      this.rxFlushed = socket.bytesRead;
    }
    if (socket.bytesWritten > this.txFlushed) {
      stats.cxTxBytes.add(socket.bytesWritten - this.txFlushed);
      this.txFlushed = socket.bytesWritten;
    }
  }

  // ---- Drainable / timers ----

  /**
   * Graceful, in two steps as Envoy does (RFC 9113 §6.8): a GOAWAY with the largest stream id tells the client to
   * open no new streams; after the HCM's `drain_timeout` (or sooner, once a PING sent with it is acked: a round trip
   * proves the client saw it) the final GOAWAY names the last stream we took, so a request the client sent meanwhile
   * is served rather than refused. Streams in flight finish, then the connection closes. (A client may never ack:
   * Node's closes an idle session at the first GOAWAY; then the timeout does the job.)
   */
  startDrain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    this.localClose = true;
    this.cfg.stats.cxDrainClose.inc();
    this.codecStats.goawaySent.inc();
    this.deadlineList?.cancel(this);
    const session = this.session;
    session.goaway(NGHTTP2_NO_ERROR, MAX_STREAM_ID);
    if (!session.ping(this.finishDrain)) return this.finishDrain();
    this.drainTimer = setTimeout(this.finishDrain, this.cfg.drainTimeoutMs);
    this.drainTimer.unref();
  }

  /** The final GOAWAY (Node sends it with the last stream id it processed); the session closes when streams end. */
  private readonly finishDrain = (): void => {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (!this.session.destroyed && !this.session.closed) this.session.close();
  };

  /** Now: GOAWAY, then destroy the session and socket (streams in flight are reset). */
  close(reason: string): void {
    if (this.closed) return;
    this.conn.info.connectionTerminationDetails ||= reason;
    if (!this.draining) this.codecStats.goawaySent.inc();
    this.localClose = true;
    this.cfg.stats.cxDestroyLocal.inc();
    this.session.destroy(undefined, NGHTTP2_NO_ERROR);
  }

  /** Connection idle timeout (no stream for `idle_timeout`). */
  onDeadline(): void {
    if (this.active.size > 0 || this.closed) return;
    this.cfg.stats.cxIdleTimeout.inc();
    this.close('idle timeout');
  }
}

function requestTimeout(conn: Http2ServerConnection, enc: Http2StreamEncoder): void {
  conn.timeoutRequest(enc);
}
