import type { Socket } from 'node:net';
import type { H2Stream } from '../codec/http2/h2-stream.js';
import { streamWindow, type Http2Options } from '../codec/http2/options.js';
import { CLOSE_CONNECTION, Http2Session, type Http2SessionHandler } from '../codec/http2/session.js';
import type { Http2CodecStats } from '../codec/http2/stats.js';
import { StreamTable } from '../codec/http2/stream-table.js';
import { formatAddress } from '../network/address.js';
import { Deadline, type DeadlineOwner } from '../server/deadline-queue.js';
import type { Host } from './host.js';
import { connectFailureReason } from './pool-error.js';
import { Http2UpstreamStream, type Http2StreamHost } from './http2-upstream-stream.js';
import type { UpstreamStreamCallbacks } from '../interfaces/upstream-stream.js';

export const CONNECTING = 0;
export const READY = 1;
/** GOAWAY received, max requests reached or pool drained: no new streams, closed when its streams end. */
export const DRAINING = 2;
export const CLOSED = 3;

/** Envoy's default max_response_headers_kb (60 KiB) and a generous field count. */
const MAX_RESPONSE_HEADERS_BYTES = 60 * 1024;
const MAX_RESPONSE_FIELDS = 200;

/** What a connection reports to its pool. */
export interface Http2ConnectionOwner {
  onConnected(c: Http2Connection): void;
  onConnectFailed(c: Http2Connection, detail: string, timeout: boolean): void;
  onStreamFreed(c: Http2Connection): void;
  onIdleTimeout(c: Http2Connection): void;
  onGoaway(c: Http2Connection): void;
  onClosed(c: Http2Connection, local: boolean): void;
  onProtocolError(c: Http2Connection): void;
  onStreamReset(local: boolean): void;
  onMalformedResponse(): void;
}

/** One upstream HTTP/2 connection (Weft's own codec, client role) over our socket, and the streams it carries. */
export class Http2Connection implements Http2StreamHost, DeadlineOwner, Http2SessionHandler<Http2UpstreamStream> {
  readonly deadline = new Deadline(this);
  state = CONNECTING;
  readonly session: Http2Session<Http2UpstreamStream>;
  readonly socket: Socket;
  /** Streams carried, by their key (not a Set: see codec/http2/stream-table.ts). */
  readonly streams = new StreamTable<Http2UpstreamStream>();
  /** Streams ever opened (max_requests_per_connection). */
  opened = 0;
  /** min(peer SETTINGS_MAX_CONCURRENT_STREAMS, configured max_concurrent_streams). */
  maxStreams: number;
  readonly createdAt: number;
  private connectTimer: NodeJS.Timeout | undefined;
  private localText: string | undefined;
  private closingLocally = false;
  protocolError = false;
  /** Streams in flight when the connection started to go away (for upstream_cx_destroy_*_with_active_rq). */
  activeAtClose = 0;
  /** Streams still open when the socket closed under them. */
  private lost = 0;

  constructor(
    private readonly owner: Http2ConnectionOwner,
    _host: Host,
    socket: Socket,
    private readonly options: Http2Options,
    connectTimeoutMs: number,
    now: number,
    bufferLimitBytes: number,
    codecStats?: Http2CodecStats,
  ) {
    this.createdAt = now;
    this.socket = socket;
    this.maxStreams = options.maxConcurrentStreams;
    this.session = new Http2Session<Http2UpstreamStream>(
      socket,
      false,
      {
        headerTableSize: options.hpackTableSize,
        maxConcurrentStreams: options.maxConcurrentStreams,
        initialWindowSize: streamWindow(options, bufferLimitBytes),
        maxHeaderListSize: MAX_RESPONSE_HEADERS_BYTES,
        maxHeaderFields: MAX_RESPONSE_FIELDS,
        enableConnectProtocol: false,
        connectionWindow: options.initialConnectionWindowSize,
        writeHighWatermark: bufferLimitBytes,
        floodLimits: options.flood,
        ...(codecStats !== undefined ? { codecStats } : {}),
      },
      this,
    );
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.connectTimer = setTimeout(() => this.onConnectTimeout(), connectTimeoutMs);
    this.session.start();
  }

  get localAddress(): string {
    return (this.localText ??= formatAddress(this.socket.localAddress ?? '', this.socket.localPort ?? 0));
  }

  get capacity(): number {
    return this.state === READY ? this.maxStreams - this.streams.size : 0;
  }

  newStream(callbacks: UpstreamStreamCallbacks): Http2UpstreamStream {
    // Odd keys, like stream ids, so that consecutive keys spread over the table.
    const s = new Http2UpstreamStream(this, callbacks, this.opened * 2 + 1);
    this.streams.set(s.tableKey, s);
    this.opened++;
    this.deadline.cancel();
    return s;
  }

  /** Stop taking streams; close once the last one ends. */
  drain(): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      this.destroy();
      return;
    }
    this.state = DRAINING;
    if (this.streams.size === 0) this.destroy();
  }

  /** Local close now (GOAWAY, streams in flight are reset). */
  destroy(): void {
    if (this.state === CLOSED || this.closingLocally) return;
    this.closingLocally = true;
    this.activeAtClose = this.streams.size;
    clearTimeout(this.connectTimer);
    // The GOAWAY goes out before the close: a peer then knows no stream is coming (node:http2 servers wait for it).
    this.session.terminate(0);
  }

  onDeadline(): void {
    if (this.state === READY && this.streams.size === 0) this.owner.onIdleTimeout(this);
  }

  // ---- Http2StreamHost ----

  onStreamDone(stream: Http2UpstreamStream): void {
    if (!this.streams.delete(stream.tableKey) || this.session.closed) return;
    if (this.state === DRAINING && this.streams.size === 0) {
      this.destroy();
      return;
    }
    this.owner.onStreamFreed(this);
  }

  onStreamReset(local: boolean): void {
    this.owner.onStreamReset(local);
  }

  onMalformedResponse(): void {
    this.owner.onMalformedResponse();
  }

  onStreamOpenFailed(stream: Http2UpstreamStream): void {
    this.onStreamDone(stream);
  }

  // ---- session events ----

  onHeaders(h2: H2Stream<Http2UpstreamStream>, fields: string[], endStream: boolean): void {
    h2.user?.headers(fields, endStream);
  }

  onHeadersTooLarge(h2: H2Stream<Http2UpstreamStream>): void {
    h2.user?.headersTooLarge();
  }

  onData(h2: H2Stream<Http2UpstreamStream>, data: Buffer, endStream: boolean): void {
    h2.user?.data(data, endStream);
  }

  onStreamClose(h2: H2Stream<Http2UpstreamStream>, reason: number, code: number): void {
    if (reason === CLOSE_CONNECTION && h2.user !== undefined && this.streams.get(h2.user.tableKey) === h2.user) this.lost++;
    h2.user?.closed(reason, code);
  }

  onStreamWritable(h2: H2Stream<Http2UpstreamStream>): void {
    h2.user?.writable();
  }

  onPingAck(): void {}

  onRemoteSettings(first: boolean): void {
    const peerMax = this.session.peerMaxStreams;
    const configured = this.options.maxConcurrentStreams;
    this.maxStreams = peerMax < configured ? peerMax : configured;
    if (!first || this.state !== CONNECTING) {
      if (this.state === READY) this.owner.onStreamFreed(this);
      return;
    }
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.state = READY;
    this.owner.onConnected(this);
  }

  onGoaway(lastStreamId: number, code: number): void {
    // Streams above the last id will never be answered: refused, the router may retry them elsewhere.
    for (const s of this.session.streams.values()) if (s.id > lastStreamId) this.session.refuseStream(s);
    if (this.state === CLOSED) return;
    if (code !== 0) {
      this.destroy();
      return;
    }
    if (this.state === DRAINING) return;
    const wasConnecting = this.state === CONNECTING;
    this.state = DRAINING;
    if (!wasConnecting) this.owner.onGoaway(this);
    if (this.streams.size === 0) this.destroy();
  }

  onConnectionError(): void {
    this.protocolError = true;
    if (this.state !== CONNECTING) this.owner.onProtocolError(this);
  }

  /** As Envoy's codec client: a flood is a protocol error (upstream_cx_protocol_error), the connection closes. */
  onFlood(): void {
    this.onConnectionError();
    if (this.state === CLOSED || this.closingLocally) return;
    this.closingLocally = true;
    this.activeAtClose = this.streams.size;
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.state === CONNECTING) this.fail(connectFailureReason(err), false);
  }

  private onConnectTimeout(): void {
    this.connectTimer = undefined;
    if (this.state === CONNECTING) this.fail('', true);
  }

  private fail(detail: string, timeout: boolean): void {
    if (this.state !== CONNECTING) return;
    clearTimeout(this.connectTimer);
    this.state = CLOSED;
    this.owner.onConnectFailed(this, detail, timeout);
    this.session.destroy();
    this.socket.destroy();
  }

  onClose(): void {
    if (this.state === CONNECTING) {
      this.fail('remote connection failure', false);
      return;
    }
    if (this.state === CLOSED) return;
    if (!this.closingLocally) this.activeAtClose = Math.max(this.activeAtClose, this.streams.size + this.lost);
    this.state = CLOSED;
    clearTimeout(this.connectTimer);
    this.deadline.cancel();
    this.owner.onClosed(this, this.closingLocally);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
