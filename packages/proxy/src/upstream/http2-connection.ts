import type { ClientHttp2Session } from 'node:http2';
import { http2 } from '../server/lazy-builtins.js';
import type { Socket } from 'node:net';
import { localSettings, type Http2Options } from '../codec/http2/options.js';
import { formatAddress } from '../network/address.js';
import type { DeadlineList, DeadlineNode } from '../server/deadline-queue.js';
import type { Host } from './host.js';
import { connectFailureReason } from './pool-error.js';
import { Http2UpstreamStream, type Http2StreamHost } from './http2-upstream-stream.js';
import type { UpstreamStreamCallbacks } from '../interfaces/upstream-stream.js';

export const CONNECTING = 0;
export const READY = 1;
/** GOAWAY received, max requests reached or pool drained: no new streams, closed when its streams end. */
export const DRAINING = 2;
export const CLOSED = 3;

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
}

/** One upstream HTTP/2 session (node:http2 client over our socket) and the streams it carries. */
export class Http2Connection implements Http2StreamHost, DeadlineNode {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  state = CONNECTING;
  readonly session: ClientHttp2Session;
  readonly socket: Socket;
  readonly streams = new Set<Http2UpstreamStream>();
  /** Streams ever opened (max_requests_per_connection). */
  opened = 0;
  /** min(peer SETTINGS_MAX_CONCURRENT_STREAMS, configured max_concurrent_streams). */
  maxStreams: number;
  readonly createdAt: number;
  private connectTimer: NodeJS.Timeout | undefined;
  private localText: string | undefined;
  private closingLocally = false;
  /** Streams in flight when the connection started to go away (for upstream_cx_destroy_*_with_active_rq). */
  activeAtClose = 0;

  constructor(
    private readonly owner: Http2ConnectionOwner,
    host: Host,
    socket: Socket,
    private readonly options: Http2Options,
    connectTimeoutMs: number,
    now: number,
    bufferLimitBytes: number,
  ) {
    this.createdAt = now;
    this.socket = socket;
    this.maxStreams = options.maxConcurrentStreams;
    const session = http2().connect(`http://${formatAddress(host.address, host.port)}`, {
      createConnection: () => socket,
      settings: localSettings(options, false, bufferLimitBytes),
      maxSessionMemory: 64,
    });
    this.session = session;
    session.on('remoteSettings', (s) => this.onRemoteSettings(s.maxConcurrentStreams));
    session.on('goaway', () => this.onGoaway());
    session.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    session.on('close', () => this.onClose());
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    socket.on('close', () => {
      if (!this.closingLocally) this.activeAtClose = Math.max(this.activeAtClose, this.streams.size);
    });
    this.connectTimer = setTimeout(() => this.onConnectTimeout(), connectTimeoutMs);
  }

  get localAddress(): string {
    return (this.localText ??= formatAddress(this.socket.localAddress ?? '', this.socket.localPort ?? 0));
  }

  get capacity(): number {
    return this.state === READY ? this.maxStreams - this.streams.size : 0;
  }

  newStream(callbacks: UpstreamStreamCallbacks): Http2UpstreamStream {
    const s = new Http2UpstreamStream(this, callbacks);
    this.streams.add(s);
    this.opened++;
    this.deadlineList?.cancel(this);
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
    this.session.destroy();
    this.socket.destroy();
  }

  onDeadline(): void {
    if (this.state === READY && this.streams.size === 0) this.owner.onIdleTimeout(this);
  }

  // ---- Http2StreamHost ----

  onStreamDone(stream: Http2UpstreamStream): void {
    if (!this.streams.delete(stream)) return;
    if (this.state === DRAINING && this.streams.size === 0) {
      this.destroy();
      return;
    }
    this.owner.onStreamFreed(this);
  }

  onStreamReset(local: boolean): void {
    this.owner.onStreamReset(local);
  }

  onStreamOpenFailed(stream: Http2UpstreamStream): void {
    this.onStreamDone(stream);
  }

  // ---- session events ----

  private onRemoteSettings(peerMax: number | undefined): void {
    const configured = this.options.maxConcurrentStreams;
    this.maxStreams = peerMax !== undefined && peerMax < configured ? peerMax : configured;
    if (this.state !== CONNECTING) {
      this.owner.onStreamFreed(this);
      return;
    }
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.state = READY;
    if (this.options.initialConnectionWindowSize > 65535) this.session.setLocalWindowSize(this.options.initialConnectionWindowSize);
    this.owner.onConnected(this);
  }

  private onGoaway(): void {
    // Node closes the session itself (NO_ERROR: after the streams below last-stream-id; else at once), and nghttp2
    // closes streams above last-stream-id with REFUSED_STREAM.
    if (this.state === CLOSED || this.state === DRAINING) return;
    const wasConnecting = this.state === CONNECTING;
    this.state = DRAINING;
    if (!wasConnecting) this.owner.onGoaway(this);
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.state === CONNECTING) {
      this.fail(connectFailureReason(err), false);
      return;
    }
    if (err.code === 'ERR_HTTP2_ERROR' || err.code === 'ERR_HTTP2_SESSION_ERROR') this.owner.onProtocolError(this);
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

  private onClose(): void {
    if (this.state === CONNECTING) {
      this.fail('remote connection failure', false);
      return;
    }
    if (this.state === CLOSED) return;
    if (!this.closingLocally) this.activeAtClose = Math.max(this.activeAtClose, this.streams.size);
    this.state = CLOSED;
    clearTimeout(this.connectTimer);
    this.deadlineList?.cancel(this);
    this.owner.onClosed(this, this.closingLocally);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
