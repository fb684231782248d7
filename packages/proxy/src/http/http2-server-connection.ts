import { decodeRawHeaders, decodeRequestHeaders } from '../codec/http2/headers.js';
import { contentLengthOf, validRequestFields, validTrailerFields } from '../codec/http2/fields.js';
import { INTERNAL_ERROR, NO_ERROR, PROTOCOL_ERROR } from '../codec/http2/frames.js';
import type { H2Stream } from '../codec/http2/h2-stream.js';
import { streamWindow } from '../codec/http2/options.js';
import { FLOOD_DETAILS } from '../codec/http2/protocol-constraints.js';
import { CLOSE_CONNECTION, CLOSE_DONE, CLOSE_REMOTE_RESET, Http2Session, type Http2SessionHandler } from '../codec/http2/session.js';
import { http2CodecStats, type Http2CodecStats } from '../codec/http2/stats.js';
import { HeaderMap } from '../interfaces/header-map.js';
import type { DownstreamConnection, Drainable } from '../interfaces/network-filter.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import { enterIoScope, exitIoScope, monotonicNow } from '../server/io-scope.js';
import { ActiveStream } from './active-stream.js';
import type { HcmConfig } from './hcm-config.js';
import { Http2ServerStream, type Http2ServerStreamOwner } from './http2-server-stream.js';
import { PrematureResets } from './premature-resets.js';

/** Pseudo-headers counted against the header count limit on top of the regular ones. */
const PSEUDO_HEADERS = 5;
/** 2^31-1: a GOAWAY naming it announces a drain without refusing any stream yet. */
const MAX_STREAM_ID = 0x7fffffff;
const DRAIN_PING = Buffer.from('weftdrn\0', 'latin1');

/**
 * The downstream side of an HTTP/2 connection on Weft's own codec (Http2Session). Each stream becomes an
 * ActiveStream with an Http2ServerStream as its ResponseEncoder. Owns the connection's idle/duration timers,
 * max_requests_per_connection and drain (two-step GOAWAY) behaviour.
 */
export class Http2ServerConnection implements Drainable, DeadlineOwner, Http2ServerStreamOwner, Http2SessionHandler<Http2ServerStream> {
  readonly deadline = new Deadline(this);
  readonly session: Http2Session<Http2ServerStream>;
  private readonly codecStats: Http2CodecStats;
  private requests = 0;
  private draining = false;
  /** The final GOAWAY went out: close once the last stream ends. */
  private goawayFinal = false;
  private closed = false;
  private localClose = false;
  private readonly idleList: DeadlineList | undefined;
  private readonly streamIdleList: DeadlineList | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private rxFlushed = 0;
  private txFlushed = 0;
  /** A flood closed the connection: streams in flight carry DPE. */
  private flooded = false;
  private readonly premature: PrematureResets;

  constructor(
    private readonly cfg: HcmConfig,
    private readonly conn: DownstreamConnection,
  ) {
    const deadlines = cfg.ctx.deadlines;
    if (cfg.idleTimeoutMs > 0) this.idleList = deadlines.list(cfg.idleTimeoutMs);
    if (cfg.streamIdleTimeoutMs > 0) this.streamIdleList = deadlines.list(cfg.streamIdleTimeoutMs);
    this.codecStats = http2CodecStats(cfg.ctx.stats);
    this.premature = new PrematureResets(cfg.ctx.runtime);
    const h2 = cfg.http2;
    this.session = new Http2Session<Http2ServerStream>(
      conn.socket,
      true,
      {
        headerTableSize: h2.hpackTableSize,
        maxConcurrentStreams: h2.maxConcurrentStreams,
        initialWindowSize: streamWindow(h2, conn.bufferLimitBytes),
        maxHeaderListSize: cfg.maxRequestHeadersBytes,
        maxHeaderFields: cfg.maxHeadersCount + PSEUDO_HEADERS,
        enableConnectProtocol: h2.allowConnect,
        connectionWindow: h2.initialConnectionWindowSize,
        writeHighWatermark: conn.bufferLimitBytes,
        floodLimits: h2.flood,
        codecStats: this.codecStats,
      },
      this,
    );
  }

  /**
   * Starts the session; `initial` are bytes already read from the socket (the sniffed preface);
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
    this.idleList?.schedule(this.deadline);
    if (cfg.maxConnectionDurationMs > 0) {
      this.durationTimer = setTimeout(() => {
        stats.cxMaxDurationReached.inc();
        this.startDrain();
      }, cfg.maxConnectionDurationMs);
      this.durationTimer.unref();
    }
    conn.socket.resume();
    enterIoScope();
    try {
      this.session.start(initial);
    } finally {
      exitIoScope();
    }
  }

  // ---- session events ----

  onHeaders(h2: H2Stream<Http2ServerStream>, fields: string[], endStream: boolean): void {
    const s = h2.user;
    if (s !== undefined) {
      // Trailers (the session has checked they end the stream): no pseudo-headers, valid fields (RFC 9113 §8.1).
      if (!validTrailerFields(fields, this.session.fieldsChecked)) return this.malformed(h2);
      this.codecStats.trailers.inc();
      s.stream.decodeTrailers(decodeRawHeaders(fields, this.session.neverIndexed));
      return;
    }
    const length = validRequestFields(fields, this.session.fieldsChecked) ? contentLengthOf(fields) : -2;
    // Malformed (RFC 9113 §8.1.1, §8.3): a content-length the body must match is also what keeps an HTTP/1 upstream
    // from reading the rest of a lying body as another request.
    if (length === -2 || (endStream && length > 0)) return this.malformed(h2);
    h2.expectedLength = length;
    this.newStream(h2, fields, endStream);
  }

  /** A malformed request or trailer section: a stream error (PROTOCOL_ERROR), counted as http2.rx_messaging_error. */
  private malformed(h2: H2Stream<Http2ServerStream>): void {
    this.codecStats.rxMessagingError.inc();
    this.session.resetStream(h2, PROTOCOL_ERROR);
  }

  onHeadersTooLarge(h2: H2Stream<Http2ServerStream>): void {
    this.codecStats.headerOverflow.inc();
    this.session.resetStream(h2, INTERNAL_ERROR);
  }

  private newStream(h2: H2Stream<Http2ServerStream>, fields: string[], endStream: boolean): void {
    const { cfg, conn } = this;
    this.requests++;
    this.idleList?.cancel(this.deadline);
    const enc = new Http2ServerStream(h2, this);
    h2.user = enc;
    const headers = new HeaderMap();
    const stream = new ActiveStream(cfg, enc, conn.id, conn.meta.sourceIp, conn.info, headers, 'HTTP/2');
    enc.stream = stream;
    this.codecStats.streamsActive.inc();
    decodeRequestHeaders(fields, stream, headers, this.session.neverIndexed);
    if (cfg.maxRequestsPerConnection > 0 && this.requests >= cfg.maxRequestsPerConnection && !this.draining) {
      cfg.stats.cxMaxRequestsReached.inc();
      this.startDrain();
    }
    enc.idleList = this.streamIdleList;
    enc.idleList?.schedule(enc.deadline);
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

  onData(h2: H2Stream<Http2ServerStream>, data: Buffer, endStream: boolean): void {
    const enc = h2.user;
    if (enc === undefined) return;
    if (enc.idleList) enc.idleList.schedule(enc.deadline);
    if (data.length > 0) enc.stream.decodeData(data, endStream);
    else enc.stream.endRequest();
  }

  onStreamWritable(h2: H2Stream<Http2ServerStream>): void {
    h2.user?.stream.onDownstreamDrain();
  }

  onStreamClose(h2: H2Stream<Http2ServerStream>, reason: number): void {
    const enc = h2.user;
    if (enc === undefined) {
      this.afterStreamClosed();
      return;
    }
    this.codecStats.streamsActive.dec();
    enc.deadline.cancel();
    if (enc.requestTimer) clearTimeout(enc.requestTimer);
    const stream = enc.stream;
    // CLOSE_DONE happens inside the call that ends the response: the ActiveStream completes right after.
    if (!stream.destroyed && reason !== CLOSE_DONE) {
      // Closed before our response ended: the client reset the stream, or the connection went away.
      if (reason === CLOSE_REMOTE_RESET) this.codecStats.rxReset.inc();
      else if (reason === CLOSE_CONNECTION) {
        this.cfg.stats.cxDestroyActiveRq.inc();
        if (this.flooded) stream.info.setResponseFlag(ResponseFlag.DownstreamProtocolError);
      }
      stream.onDownstreamReset();
    }
    if (this.countClosedStream(stream.info.responseCode, stream.info.startMonotonicMs)) return;
    this.afterStreamClosed();
  }

  /** Rapid reset: too many streams closed early without a response abort the connection (Envoy: Abort, no GOAWAY). */
  private countClosedStream(responseCode: number, startMs: number): boolean {
    if (this.session.closed || !this.premature.onStreamClosed(responseCode, startMs)) return false;
    this.cfg.stats.rqTooManyPrematureResets.inc();
    this.conn.info.connectionTerminationDetails ||= 'too_many_premature_resets';
    this.localClose = true;
    this.cfg.stats.cxDestroyLocal.inc();
    this.session.abort();
    return true;
  }

  private afterStreamClosed(): void {
    if (this.closed || this.session.activeStreams > 0) return;
    if (this.goawayFinal) {
      this.session.destroy();
      return;
    }
    if (!this.draining) this.idleList?.schedule(this.deadline);
  }

  onGoaway(): void {
    // The client is going away: no stream above its last id is coming; close once ours are done.
    if (this.session.activeStreams === 0) this.session.destroy();
  }

  onPingAck(): void {
    if (this.draining && !this.goawayFinal) this.finishDrain();
  }

  onRemoteSettings(): void {}

  onConnectionError(): void {
    // Protocol errors (bad frames, flow-control violations...) end the connection with a GOAWAY.
    this.cfg.stats.cxProtocolError.inc();
    this.codecStats.goawaySent.inc();
    this.localClose = true;
    this.cfg.stats.cxDestroyLocal.inc();
  }

  /** As Envoy's HCM on a codec flood error: closed without GOAWAY (not a downstream_cx_protocol_error). */
  onFlood(kind: number): void {
    this.flooded = true;
    this.localClose = true;
    this.cfg.stats.cxDestroyLocal.inc();
    this.conn.info.connectionTerminationDetails ||= `codec_error:${(FLOOD_DETAILS[kind] ?? '').replaceAll(' ', '_')}`;
  }

  onClose(): void {
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
    this.deadline.cancel();
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (!this.conn.socket.destroyed) this.conn.socket.destroy();
  }

  // ---- streams ----

  /** A route's `idle_timeout` replaces the connection manager's stream idle timeout (0 disables it). */
  private applyRouteIdleTimeout(enc: Http2ServerStream): void {
    const action = enc.stream.route?.action;
    if (enc.stream.destroyed || action?.kind !== 'route' || action.idleTimeoutMs === undefined) return;
    enc.idleList?.cancel(enc.deadline);
    enc.idleList = action.idleTimeoutMs > 0 ? this.cfg.ctx.deadlines.list(action.idleTimeoutMs) : undefined;
    enc.idleList?.schedule(enc.deadline);
  }

  onStreamTimeout(enc: Http2ServerStream): void {
    this.cfg.stats.rqIdleTimeout.inc();
    this.timeoutStream(enc, 'stream_idle_timeout', ResponseFlag.StreamIdleTimeout);
  }

  timeoutRequest(enc: Http2ServerStream): void {
    enc.requestTimer = undefined;
    if (enc.stream.requestComplete || enc.stream.destroyed) return;
    this.cfg.stats.rqTimeout.inc();
    this.timeoutStream(enc, 'request_overall_timeout', 0);
  }

  private timeoutStream(enc: Http2ServerStream, details: string, flag: number): void {
    const stream = enc.stream;
    if (stream.destroyed) return;
    if (stream.responseStarted) {
      stream.info.setResponseFlag(flag);
      stream.resetStream(details);
      return;
    }
    stream.sendLocalReply(stream.requestComplete ? 504 : 408, details === 'stream_idle_timeout' ? 'stream timeout' : 'request timeout', { details, flags: flag });
  }

  onLocalReset(): void {
    this.codecStats.txReset.inc();
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
   * is served rather than refused. Streams in flight finish, then the connection closes.
   */
  startDrain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    this.localClose = true;
    this.cfg.stats.cxDrainClose.inc();
    this.codecStats.goawaySent.inc();
    this.deadline.cancel();
    this.session.goaway(MAX_STREAM_ID, NO_ERROR);
    this.session.ping(DRAIN_PING);
    this.drainTimer = setTimeout(finishDrain, this.cfg.drainTimeoutMs, this);
    this.drainTimer.unref();
  }

  /** The final GOAWAY with the last stream id we took; the connection closes when its streams end. */
  finishDrain(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.goawayFinal || this.closed) return;
    this.goawayFinal = true;
    this.session.goaway(this.session.lastPeerStreamId, NO_ERROR);
    if (this.session.activeStreams === 0) this.session.destroy();
  }

  /** Now: GOAWAY, then close the socket (streams in flight are reset). */
  close(reason: string): void {
    if (this.closed) return;
    this.conn.info.connectionTerminationDetails ||= reason;
    if (!this.draining) this.codecStats.goawaySent.inc();
    this.localClose = true;
    this.cfg.stats.cxDestroyLocal.inc();
    this.session.terminate(NO_ERROR);
  }

  /** Connection idle timeout (no stream for `idle_timeout`). */
  onDeadline(): void {
    if (this.session.activeStreams > 0 || this.closed) return;
    this.cfg.stats.cxIdleTimeout.inc();
    this.close('idle timeout');
  }
}

function requestTimeout(conn: Http2ServerConnection, enc: Http2ServerStream): void {
  conn.timeoutRequest(enc);
}

function finishDrain(conn: Http2ServerConnection): void {
  conn.finishDrain();
}
