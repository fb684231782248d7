import type { HeaderMap } from '../interfaces/header-map.js';
import type { DownstreamConnection, Drainable } from '../interfaces/network-filter.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import { Http1Parser } from '../codec/http1/parser.js';
import type { Http1ParseError } from '../codec/http1/errors.js';
import type { Http1ParserHandler, RequestHead } from '../codec/http1/types.js';
import { reasonPhrase, encodeChunkHeader, encodeLastChunk, encodeTrustedResponseHead, removeHopByHop } from '../codec/http1/encoder.js';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import type { HcmConfig } from './hcm-config.js';
import { pauseReads, readDirect, resumeReads } from '../network/direct-read.js';
import { writeBytes, writeLatin1 } from '../network/fast-write.js';
import { ActiveStream } from './active-stream.js';
import type { ResponseEncoder } from './response-encoder.js';
import { selectCodec } from '../codec/http2/select.js';
import { deferToScopeEnd, enterIoScope, exitIoScope, monotonicNow, type Deferred } from '../server/io-scope.js';
import { upgradeTypeOf } from './upgrade-config.js';

const CONTINUE_100 = 'HTTP/1.1 100 Continue\r\n\r\n';
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';
const CRLF_LAST_CHUNK = '\r\n0\r\n\r\n';
/** Head and body up to this size are joined and sent with one write (Node copies strings this size on its stack). */
const COMBINE_LIMIT = 16 * 1024;
const EMPTY = Buffer.alloc(0);
const KEEP_UPGRADE = { keepUpgrade: true } as const;

function isH2cUpgrade(headers: HeaderMap): boolean {
  return headers.get('upgrade')?.trim().toLowerCase() === 'h2c';
}

/**
 * The downstream side of an HTTP/1.1 connection: parses requests with our codec, runs one ActiveStream at a time
 * (pipelined requests wait in the parser, paused, until the previous response is done), and writes responses with
 * the right framing. Owns the connection's idle timers and drain behaviour.
 */
/** A draining connection is closed once it has been idle this long (see closeWhenIdle). */
const DRAIN_IDLE_GRACE_MS = 250;
const DRAIN_IDLE_RECHECK_MS = 25;

export class Http1ServerConnection implements Http1ParserHandler, ResponseEncoder, Drainable, DeadlineOwner, Deferred {
  readonly deadline = new Deadline(this);

  private readonly parser: Http1Parser;
  private stream: ActiveStream | undefined;
  private requests = 0;
  private closing = false;
  private draining = false;
  private closed = false;
  private readDisabled = false;
  /** Response framing of the current stream. */
  private chunked = false;
  private responseHasBody = true;
  private responseVersionMinor: 0 | 1 = 1;
  private requestKeepAlive = true;
  private readonly idleList: DeadlineList | undefined;
  private readonly defaultStreamIdleList: DeadlineList | undefined;
  /** The current stream's idle timeout list: the HCM's, or the route's `idle_timeout` override. */
  private streamIdleList: DeadlineList | undefined;
  private headersTimer: NodeJS.Timeout | undefined;
  /** codec_type AUTO before the first bytes decided the protocol. */
  private sniff: { buffered: Buffer; handOff: (initial: Buffer) => void } | undefined;
  private isHttp1 = false;
  /** When the last response ended (or the connection started): drain closes only connections idle for a while. */
  private idleSinceMs = monotonicNow();
  private readonly onData = (chunk: Buffer): void => this.onSocketData(chunk);
  private readonly onEnd = (): void => this.onSocketEnd();
  private readonly onClose = (): void => this.onSocketClose();
  private readonly onDrain = (): void => this.stream?.onDownstreamDrain();
  private requestTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  /** Response head waiting for its first body bytes (see encodeHeaders). */
  private pendingHead: string | undefined;
  private flushScheduled = false;
  /** The current stream is an allowed upgrade / CONNECT: socket bytes go to it as body, unparsed. */
  private tunnel: ActiveStream | undefined;
  /** The parser is between a request head and that request's end (a local reply may finish the stream before). */
  private inMessage = false;
  /** Closed while idle: our FIN is out, whatever the peer still sends is read and dropped until it closes too. */
  private lingering = false;

  constructor(
    private readonly cfg: HcmConfig,
    private readonly conn: DownstreamConnection,
  ) {
    this.parser = new Http1Parser('request', this, { maxHeaderBytes: cfg.maxRequestHeadersBytes, maxHeaders: cfg.maxHeadersCount });
    const deadlines = cfg.ctx.deadlines;
    if (cfg.idleTimeoutMs > 0) this.idleList = deadlines.list(cfg.idleTimeoutMs);
    if (cfg.streamIdleTimeoutMs > 0) this.defaultStreamIdleList = deadlines.list(cfg.streamIdleTimeoutMs);
    this.streamIdleList = this.defaultStreamIdleList;
  }

  /** `initial`: bytes already read from the socket (codec sniffing), parsed first. */
  /**
   * `http2`: codec_type AUTO over plaintext — the first bytes are checked for the HTTP/2 preface and, if found, the
   * connection is handed to `http2` (with the bytes read so far) before anything is parsed.
   */
  start(http2?: (initial: Buffer) => void): void {
    const { cfg, conn } = this;
    const stats = cfg.stats;
    stats.cxTotal.inc();
    stats.cxActive.inc();
    if (http2 === undefined) this.countHttp1();
    else this.sniff = { buffered: EMPTY, handOff: http2 };
    if (conn.tls !== undefined) {
      stats.cxSslTotal.inc();
      stats.cxSslActive.inc();
    }
    conn.setDrainable(this);
    const socket = conn.socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    // Plain TCP: fresh reads skip the Readable ('data' stays for bytes listener filters put back). With AUTO, only
    // once the first bytes ruled out HTTP/2: an HTTP/2 session installs its own direct reads when it takes over.
    if (http2 === undefined) readDirect(socket, this.onData);
    this.idleList?.schedule(this.deadline);
    if (cfg.maxConnectionDurationMs > 0) {
      this.durationTimer = setTimeout(() => {
        stats.cxMaxDurationReached.inc();
        this.startDrain();
        if (!this.stream) this.close('max connection duration');
      }, cfg.maxConnectionDurationMs);
    }
  }

  private countHttp1(): void {
    this.isHttp1 = true;
    this.cfg.stats.cxHttp1Total.inc();
    this.cfg.stats.cxHttp1Active.inc();
  }

  /** Sniffing (AUTO): returns the bytes to parse as HTTP/1, or undefined (need more, or handed to HTTP/2). */
  private sniffed(chunk: Buffer): Buffer | undefined {
    const sniff = this.sniff as { buffered: Buffer; handOff: (initial: Buffer) => void };
    const bytes = sniff.buffered.length === 0 ? chunk : Buffer.concat([sniff.buffered, chunk]);
    const choice = selectCodec(bytes, '');
    if (choice === 'need-more') {
      sniff.buffered = bytes;
      return undefined;
    }
    this.sniff = undefined;
    if (choice === 'http1') {
      this.countHttp1();
      readDirect(this.conn.socket, this.onData);
      return bytes;
    }
    // HTTP/2 prior knowledge: the HTTP/2 session takes the socket over; this object is done (no stats, no cleanup).
    const socket = this.conn.socket;
    socket.pause();
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('drain', this.onDrain);
    this.deadline.cancel();
    if (this.durationTimer) clearTimeout(this.durationTimer);
    this.durationTimer = undefined;
    this.closed = true;
    sniff.handOff(bytes);
    return undefined;
  }

  // ---- socket events ----

  private onSocketData(chunk: Buffer): void {
    if (this.lingering) return;
    if (this.sniff !== undefined) {
      const bytes = this.sniffed(chunk);
      if (bytes === undefined) return;
      chunk = bytes;
    }
    enterIoScope();
    try {
      this.cfg.stats.cxRxBytes.add(chunk.length);
      const tunnel = this.tunnel;
      if (tunnel !== undefined) {
        this.streamIdleList?.schedule(this.deadline);
        tunnel.decodeData(chunk, false);
        return;
      }
      // After an upgraded stream ended, the connection only waits to close: late tunnel bytes are dropped.
      if (this.parser.upgraded) return;
      if (this.stream) this.streamIdleList?.schedule(this.deadline);
      // Envoy's request_headers_timeout starts at the first byte of a request's headers.
      else if (this.headersTimer === undefined && this.cfg.requestHeadersTimeoutMs > 0 && !this.closing) this.armHeadersTimer();
      this.parser.execute(chunk);
      this.pumpTunnelRemainder();
      // Pipelined requests wait in the parser; stop reading if a client floods us while we are busy.
      if (this.parser.paused && this.parser.bufferedBytes > this.conn.bufferLimitBytes) pauseReads(this.conn.socket);
    } finally {
      exitIoScope();
    }
  }

  private onSocketEnd(): void {
    if (this.lingering) {
      this.conn.socket.destroy();
      return;
    }
    const tunnel = this.tunnel;
    if (tunnel !== undefined && !tunnel.requestComplete) {
      // Half-close of the tunnel: relayed upstream; the response direction goes on until the upstream ends it.
      tunnel.decodeData(EMPTY, true);
      return;
    }
    // Envoy does not support half-closed HTTP/1 downstream connections: the peer's FIN ends the connection.
    this.cfg.stats.cxDestroyRemote.inc();
    this.conn.info.connectionTerminationDetails ||= 'downstream remote close';
    this.destroy();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.cleanup();
  }

  // ---- parser callbacks ----

  onRequestHead(head: RequestHead): void {
    if (this.headersTimer) {
      clearTimeout(this.headersTimer);
      this.headersTimer = undefined;
    }
    this.idleList?.cancel(this.deadline);
    this.streamIdleList = this.defaultStreamIdleList;
    this.streamIdleList?.schedule(this.deadline);
    const cfg = this.cfg;
    if (cfg.requestTimeoutMs > 0) this.armRequestTimer();
    this.requests++;
    this.inMessage = true;
    const protocol = head.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
    const stream = new ActiveStream(cfg, this, this.conn.id, this.conn.meta.sourceIp, this.conn.info, head.headers, protocol);
    this.stream = stream;
    this.responseVersionMinor = head.versionMinor;
    this.requestKeepAlive = head.keepAlive;
    this.chunked = false;
    this.responseHasBody = true;
    stream.method = head.method;
    if (!head.keepAlive || this.draining) this.closing = true;
    if (cfg.maxRequestsPerConnection > 0 && this.requests >= cfg.maxRequestsPerConnection) {
      if (!this.closing) cfg.stats.cxMaxRequestsReached.inc();
      this.closing = true;
    }
    if (head.versionMinor === 0 && !cfg.acceptHttp10) {
      this.closing = true;
      stream.requestComplete = true;
      stream.sendLocalReply(426, '', { details: 'http1.codec_error', flags: ResponseFlag.DownstreamProtocolError });
      return;
    }
    if (head.upgrade && head.method !== 'CONNECT' && isH2cUpgrade(head.headers)) {
      // Envoy drops h2c upgrade offers and serves the request as plain HTTP/1.1 (with its body, if any).
      head.headers.remove('upgrade');
      head.headers.remove('http2-settings');
      head.upgrade = false;
      this.parser.declineUpgrade();
    }
    if (head.upgrade) {
      // An upgraded (or refused) connection never carries another request; the payload is not a body.
      this.closing = true;
      stream.upgradeType = upgradeTypeOf(head.method, head.headers.get('upgrade'));
    }
    if (!this.setTarget(stream, head)) return;
    if (head.expectContinue) {
      head.headers.remove('expect');
      if (!cfg.proxy100Continue) this.encode100Continue();
    }
    removeHopByHop(head.headers, head.upgrade && head.method !== 'CONNECT' ? KEEP_UPGRADE : undefined);
    stream.decodeHeaders(!head.upgrade && head.contentLength <= 0 && !head.chunked);
    if (stream.upgraded && this.stream === stream) this.tunnel = stream;
    this.applyRouteIdleTimeout(stream);
  }

  /** Bytes the client sent right after its upgrade head (kept by the parser) start the tunnel payload. */
  private pumpTunnelRemainder(): void {
    const tunnel = this.tunnel;
    if (tunnel === undefined) return;
    const rest = this.parser.takeRemainder();
    if (rest !== undefined && rest.length !== 0) tunnel.decodeData(rest, false);
  }

  /** Fills method/path/authority from the request target (origin, absolute or asterisk form). */
  private setTarget(stream: ActiveStream, head: RequestHead): boolean {
    const cfg = this.cfg;
    let target = head.target;
    let authority = head.headers.get('host');
    if (head.method === 'CONNECT') {
      // authority-form target: it is the authority, and the request has no path.
      stream.path = '';
      stream.authority = target;
      head.headers.set('host', target);
      return true;
    }
    if (target.charCodeAt(0) !== 47 /* '/' */) {
      const lower = target.slice(0, 8).toLowerCase();
      if (cfg.allowAbsoluteUrl && (lower.startsWith('http://') || lower.startsWith('https://'))) {
        const schemeEnd = target.indexOf('://') + 3;
        const pathStart = target.indexOf('/', schemeEnd);
        authority = target.slice(schemeEnd, pathStart === -1 ? undefined : pathStart);
        target = pathStart === -1 ? '/' : target.slice(pathStart);
        head.headers.set('host', authority);
      } else if (target === '*' && head.method === 'OPTIONS') {
        // asterisk-form is valid only for OPTIONS; routes see it as-is.
      } else {
        cfg.stats.rqNonRelativePath.inc();
        stream.requestComplete = true;
        this.closing = true;
        stream.sendLocalReply(404, '', { details: 'absolute_path_required' });
        return false;
      }
    }
    if (authority === undefined) {
      if (head.versionMinor === 0 && cfg.defaultHostForHttp10) {
        authority = cfg.defaultHostForHttp10;
        head.headers.add('host', authority);
      } else {
        cfg.stats.rqMissingHost.inc();
        stream.requestComplete = true;
        this.closing = true;
        stream.sendLocalReply(400, '', { details: 'missing_host_header', flags: ResponseFlag.DownstreamProtocolError });
        return false;
      }
    }
    if (cfg.stripTrailingHostDot && authority.endsWith('.')) {
      authority = authority.slice(0, -1);
      head.headers.set('host', authority);
    }
    stream.path = target;
    stream.authority = authority;
    return true;
  }

  /** A route's `idle_timeout` replaces the connection manager's stream idle timeout (0 disables it). */
  private applyRouteIdleTimeout(stream: ActiveStream): void {
    const action = stream.route?.action;
    if (this.stream !== stream || action?.kind !== 'route' || action.idleTimeoutMs === undefined) return;
    this.streamIdleList?.cancel(this.deadline);
    this.streamIdleList = action.idleTimeoutMs > 0 ? this.cfg.ctx.deadlines.list(action.idleTimeoutMs) : undefined;
    this.streamIdleList?.schedule(this.deadline);
  }

  onBody(chunk: Buffer): void {
    const stream = this.stream;
    if (!stream) return;
    stream.decodeData(chunk, false);
  }

  onTrailers(trailers: HeaderMap): void {
    const stream = this.stream;
    if (!stream) return;
    // Envoy drops HTTP/1 request trailers unless enable_trailers is set.
    if (this.cfg.enableTrailers) stream.decodeTrailers(trailers);
  }

  onMessageComplete(): void {
    this.inMessage = false;
    if (this.requestTimer) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
    const stream = this.stream;
    if (stream === undefined) {
      // Already answered (a local reply from the request head): the next pipelined request may start now.
      if (!this.closing && !this.draining) this.readyForNext();
      return;
    }
    // One request at a time: hold pipelined bytes in the parser until this response is done.
    this.parser.pause();
    stream.endRequest();
  }

  onError(err: Http1ParseError): void {
    const stats = this.cfg.stats;
    stats.cxProtocolError.inc();
    this.closing = true;
    const stream = this.stream;
    if (stream && !stream.destroyed) {
      if (stream.responseStarted) {
        stream.resetStream('http1.codec_error');
        return;
      }
      stream.requestComplete = true;
      stream.sendLocalReply(err.status, '', { details: `http1.codec_error:${err.code}`, flags: ResponseFlag.DownstreamProtocolError });
      return;
    }
    this.writeBareError(err.status);
  }

  /** A protocol error before any stream exists (malformed request line or headers). */
  private writeBareError(status: number): void {
    const socket = this.conn.socket;
    if (socket.destroyed) return;
    const reason = reasonPhrase(status);
    this.cfg.stats.rqByClass[status >= 500 ? 4 : 3]?.inc();
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`, 'latin1');
    this.armDelayedClose();
  }

  // ---- ResponseEncoder ----

  encode100Continue(): void {
    this.write(CONTINUE_100);
  }

  encodeHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    const current = this.stream;
    if (current !== undefined && current.upgraded && (status === 101 || (current.method === 'CONNECT' && status >= 200 && status < 300))) {
      this.encodeTunnelHeaders(status, headers, endStream);
      return;
    }
    removeHopByHop(headers);
    const method = current?.method;
    // Bodies are never sent for HEAD, 1xx, 204 and 304 (RFC 9110 §6.4.1).
    this.responseHasBody = !(method === 'HEAD' || status < 200 || status === 204 || status === 304);
    const drain = this.cfg.ctx.drainState;
    if (drain.healthCheckFailed || drain.draining || this.conn.draining) this.closing = true;
    if (this.closing || this.draining) {
      headers.set('connection', 'close');
      this.closing = true;
    } else if (this.responseVersionMinor === 0 && this.requestKeepAlive) {
      headers.set('connection', 'keep-alive');
    }
    if (status === 204 || status < 200) {
      headers.remove('content-length');
    } else if (!headers.has('content-length')) {
      if (endStream) {
        if (status !== 304 && method !== 'HEAD') headers.add('content-length', '0');
      } else if (this.responseVersionMinor === 1) {
        this.chunked = true;
        headers.add('transfer-encoding', 'chunked');
      } else {
        // HTTP/1.0 client and unknown length: the body ends when we close.
        this.closing = true;
        headers.set('connection', 'close');
      }
    }
    const head = encodeTrustedResponseHead(status, headers);
    if (endStream) {
      this.write(head);
      this.onResponseDone();
      return;
    }
    // The body usually follows synchronously (same upstream read): hold the head to send both in one write.
    this.pendingHead = head;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      deferToScopeEnd(this);
    }
  }

  /** 101 (or 2xx to CONNECT): the head keeps Upgrade/Connection, and what follows is raw tunnel payload. */
  private encodeTunnelHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    removeHopByHop(headers, status === 101 ? KEEP_UPGRADE : undefined);
    headers.remove('content-length');
    this.chunked = false;
    this.responseHasBody = true;
    // The request never "completes" in HTTP terms: request_timeout no longer applies.
    if (this.requestTimer) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
    const head = encodeTrustedResponseHead(status, headers);
    this.write(head);
    if (endStream) this.onResponseDone();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const socket = this.conn.socket;
    let ok = true;
    const hasBody = data.length > 0 && this.responseHasBody;
    if (hasBody) this.cfg.stats.cxTxBytes.add(data.length);
    const head = this.pendingHead;
    if (head !== undefined) {
      this.pendingHead = undefined;
      ok = this.writeHeadAndBody(head, hasBody ? data : EMPTY, endStream);
    } else if (hasBody) {
      if (this.chunked) {
        socket.cork();
        socket.write(encodeChunkHeader(data.length), 'latin1');
        socket.write(data);
        ok = socket.write(endStream ? CRLF_LAST_CHUNK : CRLF, 'latin1');
        socket.uncork();
      } else {
        ok = writeBytes(socket, data);
      }
    } else if (endStream && this.chunked && this.responseHasBody) {
      this.write(LAST_CHUNK);
    }
    if (endStream) this.onResponseDone();
    else if (this.stream) this.streamIdleList?.schedule(this.deadline);
    return ok;
  }

  /** Head, first body piece and (when it ends the stream) the framing end, as one buffer for small bodies. */
  private writeHeadAndBody(head: string, data: Buffer, endStream: boolean): boolean {
    const socket = this.conn.socket;
    let prefix = head;
    let suffix = '';
    if (this.chunked && this.responseHasBody) {
      if (data.length > 0) {
        prefix += encodeChunkHeader(data.length);
        suffix = endStream ? CRLF_LAST_CHUNK : CRLF;
      } else if (endStream) {
        suffix = LAST_CHUNK;
      }
    }
    if (prefix.length + data.length + suffix.length <= COMBINE_LIMIT) {
      // One latin1 string: bytes 0-255 map to chars 0-255 and back, so the body goes out unchanged, and a string
      // write of this size is copied once on the native side (cheaper than building a Buffer here).
      const body = data.length === 0 ? '' : data.toString('latin1');
      return writeLatin1(socket, prefix + body + suffix);
    }
    socket.cork();
    socket.write(prefix, 'latin1');
    let ok = socket.write(data);
    if (suffix) ok = socket.write(suffix, 'latin1');
    socket.uncork();
    return ok;
  }

  /** End of the read that produced a held head: its body did not follow, send the head alone. */
  runDeferred(): void {
    this.flushScheduled = false;
    const head = this.pendingHead;
    if (head === undefined) return;
    this.pendingHead = undefined;
    this.write(head);
  }

  encodeTrailers(trailers: HeaderMap): void {
    const head = this.pendingHead;
    if (head !== undefined) {
      this.pendingHead = undefined;
      this.write(head);
    }
    if (this.chunked && this.responseHasBody) this.write(encodeLastChunk(this.cfg.enableTrailers ? trailers : undefined));
    this.onResponseDone();
  }

  resetStream(): void {
    this.closing = true;
    this.stream = undefined;
    this.tunnel = undefined;
    this.conn.socket.destroy();
  }

  readDisable(disable: boolean): void {
    if (disable === this.readDisabled) return;
    this.readDisabled = disable;
    if (disable) pauseReads(this.conn.socket);
    else resumeReads(this.conn.socket);
  }

  closeAfterResponse(): void {
    this.closing = true;
  }

  // ---- Drainable / timers ----

  startDrain(): void {
    if (this.draining) return;
    this.draining = true;
    this.cfg.stats.cxDrainClose.inc();
    if (!this.stream) this.closeWhenIdle();
  }

  /**
   * Draining and no request: close, unless a response went out moments ago. A keep-alive client sends its next
   * request right after a response; closing in that window loses the request (the client reads EOF instead of a
   * response), so it gets `connection: close` on that response instead. A request head half-received also waits.
   */
  private closeWhenIdle(): void {
    if (this.closed || this.stream) return;
    const wait = DRAIN_IDLE_GRACE_MS - (monotonicNow() - this.idleSinceMs);
    if (wait <= 0 && this.parser.idle) {
      this.close('drain');
      return;
    }
    const t = setTimeout(() => this.closeWhenIdle(), Math.max(wait, DRAIN_IDLE_RECHECK_MS));
    t.unref();
  }

  close(reason: string): void {
    if (this.closed || this.lingering) return;
    this.conn.info.connectionTerminationDetails ||= reason;
    const socket = this.conn.socket;
    if (this.stream === undefined && this.isHttp1 && this.tunnel === undefined && !this.parser.upgraded && !socket.writableEnded && !socket.destroyed) {
      this.linger();
      return;
    }
    this.destroy();
  }

  /**
   * Closing an idle keep-alive connection races with the client's next request. Destroying the socket would answer
   * a request already on its way (or unread in the kernel) with a RST, which can also discard the previous response
   * still unread at the client. A FIN first, reading and dropping until the peer closes (or delayed_close_timeout),
   * makes the client see a clean EOF before any response byte: the case a client may retry (RFC 9112 §9.3.1).
   */
  private linger(): void {
    this.lingering = true;
    this.deadline.cancel();
    if (this.headersTimer) {
      clearTimeout(this.headersTimer);
      this.headersTimer = undefined;
    }
    const socket = this.conn.socket;
    if (socket.isPaused()) resumeReads(socket);
    socket.end();
    this.armDelayedClose();
  }

  private destroy(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.tunnel = undefined;
    if (stream && !stream.destroyed) {
      this.cfg.stats.cxDestroyActiveRq.inc();
      stream.onDownstreamReset();
    }
    this.conn.socket.destroy();
  }

  onDeadline(): void {
    const stream = this.stream;
    const stats = this.cfg.stats;
    if (!stream) {
      stats.cxIdleTimeout.inc();
      this.close('idle timeout');
      return;
    }
    stats.rqIdleTimeout.inc();
    this.timeoutStream(stream, 'stream_idle_timeout', ResponseFlag.StreamIdleTimeout);
  }

  private timeoutStream(stream: ActiveStream, details: string, flag: number): void {
    this.closing = true;
    if (stream.responseStarted) {
      stream.info.setResponseFlag(flag);
      stream.resetStream(details);
      return;
    }
    // Envoy: 504 if the whole request was received, else 408 (Http::Utility::maybeRequestTimeoutCode).
    stream.sendLocalReply(stream.requestComplete ? 504 : 408, details === 'stream_idle_timeout' ? 'stream timeout' : 'request timeout', { details, flags: flag });
  }

  private armHeadersTimer(): void {
    this.headersTimer = setTimeout(() => {
      this.headersTimer = undefined;
      this.cfg.stats.rqHeaderTimeout.inc();
      // Envoy answers 408 before closing; no stream exists yet, and the rest of the head is never parsed.
      this.conn.info.connectionTerminationDetails ||= 'request_header_timeout';
      pauseReads(this.conn.socket);
      this.writeBareError(408);
    }, this.cfg.requestHeadersTimeoutMs);
    this.headersTimer.unref();
  }

  private armRequestTimer(): void {
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      const stream = this.stream;
      if (!stream || stream.requestComplete) return;
      this.cfg.stats.rqTimeout.inc();
      this.timeoutStream(stream, 'request_overall_timeout', 0);
    }, this.cfg.requestTimeoutMs);
    this.requestTimer.unref();
  }

  // ---- internals ----

  private onResponseDone(): void {
    this.stream = undefined;
    this.idleSinceMs = monotonicNow();
    this.tunnel = undefined;
    this.streamIdleList?.cancel(this.deadline);
    if (this.requestTimer) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
    if (this.closing || this.draining) {
      const socket = this.conn.socket;
      this.cfg.stats.cxDestroyLocal.inc();
      socket.end();
      this.armDelayedClose();
      return;
    }
    // Answered before the parser reached the request's end: onMessageComplete goes on from there.
    if (this.inMessage) return;
    this.readyForNext();
  }

  /** The response and its request are both done: wait for (or start) the next request. */
  private readyForNext(): void {
    this.idleList?.schedule(this.deadline);
    if (this.cfg.requestHeadersTimeoutMs > 0 && !this.parser.idle) this.armHeadersTimer();
    if (this.conn.socket.isPaused() && !this.readDisabled) resumeReads(this.conn.socket);
    // Next pipelined request, if any, starts now (synchronously, possibly re-entering onRequestHead).
    this.parser.resume();
    this.pumpTunnelRemainder();
  }

  /** After our FIN, give the peer `delayed_close_timeout` to close before we destroy the socket. */
  private armDelayedClose(): void {
    const socket = this.conn.socket;
    const t = setTimeout(() => socket.destroy(), this.cfg.delayedCloseTimeoutMs);
    t.unref();
    socket.once('close', () => clearTimeout(t));
  }

  private write(s: string): void {
    writeLatin1(this.conn.socket, s);
  }

  private cleanup(): void {
    const stats = this.cfg.stats;
    stats.cxActive.dec();
    if (this.isHttp1) stats.cxHttp1Active.dec();
    if (this.conn.tls !== undefined) stats.cxSslActive.dec();
    stats.cxDestroy.inc();
    stats.cxLength.record(monotonicNow() - this.conn.info.startMonotonicMs);
    this.deadline.cancel();
    if (this.headersTimer) clearTimeout(this.headersTimer);
    if (this.requestTimer) clearTimeout(this.requestTimer);
    if (this.durationTimer) clearTimeout(this.durationTimer);
    const stream = this.stream;
    this.stream = undefined;
    if (stream && !stream.destroyed) stream.onDownstreamReset();
  }
}
