import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DEFAULT_HTTP2_OPTIONS, type Http2Options } from '../codec/http2/options.js';
import type { HttpStreamPool, PendingStream, UpstreamStreamCallbacks, UpstreamStreamReadyHandler } from '../interfaces/upstream-stream.js';
import { deadlines as processDeadlines, type DeadlineList, type DeadlineQueues } from '../server/deadline-queue.js';
import type { ClusterStats } from './cluster-stats.js';
import type { Http2CodecStats } from '../codec/http2/stats.js';
import type { Host } from './host.js';
import { CONNECTING, DRAINING, READY, Http2Connection, type Http2ConnectionOwner } from './http2-connection.js';

export interface Http2PoolOptions {
  readonly host: Host;
  readonly stats: ClusterStats;
  readonly connectTimeoutMs: number;
  /** 0 disables the idle timeout. */
  readonly idleTimeoutMs: number;
  /** 0 = unlimited (streams per connection). */
  readonly maxRequestsPerConnection: number;
  /** 0 = unlimited. Checked when a session is picked or a stream ends (no timer per session). */
  readonly maxConnectionDurationMs?: number | undefined;
  readonly http2?: Http2Options | undefined;
  /** `cluster.<name>.http2.*` codec stats. */
  readonly codecStats?: Http2CodecStats | undefined;
  /** `per_connection_buffer_limit_bytes`: the receive window unless http2 options set one (default 1 MiB). */
  readonly bufferLimitBytes?: number | undefined;
  /** Opens the transport (TLS plugs in here). Default: `net.connect` to the host's current address. */
  readonly connect?: ((host: Host) => Socket) | undefined;
  readonly now?: (() => number) | undefined;
  readonly deadlines?: DeadlineQueues | undefined;
}

class Waiter implements PendingStream {
  done = false;
  constructor(
    private readonly pool: Http2Pool,
    readonly callbacks: UpstreamStreamCallbacks,
    readonly ready: UpstreamStreamReadyHandler,
  ) {}
  cancel(): void {
    if (!this.done) this.pool.cancelWaiter(this);
  }
}

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

function defaultConnect(host: Host): Socket {
  return netConnect({ host: host.address, port: host.port });
}

/**
 * Envoy's per-host HTTP/2 connection pool: streams are multiplexed over as few sessions as the peer's (and our)
 * max_concurrent_streams allow; a new session is opened only when every ready one is full. Streams wait while
 * sessions connect. GOAWAY, max_requests_per_connection and drain() retire a session: it takes no new stream and
 * closes when its last stream ends. Request stats are the caller's; connection and pending stats are the pool's.
 */
export class Http2Pool implements HttpStreamPool, Http2ConnectionOwner {
  readonly protocol = 'HTTP/2';
  readonly host: Host;
  private readonly conns = new Set<Http2Connection>();
  private readonly waiters: Waiter[] = [];
  private readonly opts: Http2PoolOptions;
  private readonly http2: Http2Options;
  private readonly now: () => number;
  private readonly connectFn: (host: Host) => Socket;
  private readonly idleList: DeadlineList | undefined;
  private closed = false;
  private serveScheduled = false;

  constructor(opts: Http2PoolOptions) {
    this.opts = opts;
    this.host = opts.host;
    this.http2 = opts.http2 ?? DEFAULT_HTTP2_OPTIONS;
    this.now = opts.now ?? performance.now.bind(performance);
    this.connectFn = opts.connect ?? defaultConnect;
    this.idleList = opts.idleTimeoutMs > 0 ? (opts.deadlines ?? processDeadlines).list(opts.idleTimeoutMs) : undefined;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  get pendingCount(): number {
    return this.waiters.length;
  }

  get isEmpty(): boolean {
    return this.conns.size === 0 && this.waiters.length === 0;
  }

  newStream(callbacks: UpstreamStreamCallbacks, ready: UpstreamStreamReadyHandler): PendingStream | null {
    if (this.closed) {
      ready.onStreamFailure('connection_failure', 'connection pool closed');
      return null;
    }
    const c = this.available();
    if (c !== undefined) {
      ready.onStreamReady(this.open(c, callbacks));
      return null;
    }
    const w = new Waiter(this, callbacks, ready);
    this.waiters.push(w);
    const stats = this.opts.stats;
    stats.upstream_rq_pending_total.inc();
    stats.upstream_rq_pending_active.inc();
    if (this.connectingCapacity() < this.waiters.length) this.createConnection();
    return w;
  }

  /** Retires every session (each closes when its streams end); new streams get new sessions. */
  drain(): void {
    for (const c of [...this.conns]) c.drain();
  }

  /** Closes everything; waiting streams fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failWaiters(this.waiters.length, 'connection pool closed');
    for (const c of [...this.conns]) c.destroy();
  }

  cancelWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    w.done = true;
    this.opts.stats.upstream_rq_pending_active.dec();
    this.opts.stats.upstream_rq_cancelled.inc();
  }

  // ---- Http2ConnectionOwner ----

  onConnected(c: Http2Connection): void {
    this.opts.stats.upstream_cx_connect_ms.record(this.now() - c.createdAt);
    this.serve();
    if (c.streams.size === 0) this.idleList?.schedule(c.deadline);
    // Waiters beyond what the peer allows on this session need another one.
    while (this.connectingCapacity() < this.waiters.length) this.createConnection();
  }

  onConnectFailed(c: Http2Connection, detail: string, timeout: boolean): void {
    const stats = this.opts.stats;
    stats.upstream_cx_connect_fail.inc();
    if (timeout) stats.upstream_cx_connect_timeout.inc();
    this.host.stats.cx_connect_fail++;
    this.finish(c, timeout);
    // Streams no other connecting session can take fail now (oldest first).
    const excess = this.waiters.length - this.connectingCapacity();
    if (excess > 0) this.failWaiters(excess, detail);
  }

  onStreamFreed(c: Http2Connection): void {
    if (c.state !== READY) return;
    const max = this.opts.maxRequestsPerConnection;
    if (max > 0 && c.opened >= max) {
      this.opts.stats.upstream_cx_max_requests.inc();
      c.drain();
      return;
    }
    if (this.expired(c)) {
      c.drain();
      return;
    }
    if (this.waiters.length > 0) this.scheduleServe();
    else if (c.streams.size === 0) this.idleList?.schedule(c.deadline);
  }

  onIdleTimeout(c: Http2Connection): void {
    this.opts.stats.upstream_cx_idle_timeout.inc();
    c.destroy();
  }

  onGoaway(c: Http2Connection): void {
    this.opts.stats.upstream_cx_close_notify.inc();
    if (c.streams.size === 0) c.destroy();
    // Waiting streams need another session.
    if (this.waiters.length > this.connectingCapacity()) this.createConnection();
  }

  onClosed(c: Http2Connection, local: boolean): void {
    this.finish(c, local);
    if (this.waiters.length > this.connectingCapacity() && !this.closed) this.createConnection();
  }

  onStreamReset(local: boolean): void {
    const cs = this.opts.codecStats;
    if (cs !== undefined) (local ? cs.txReset : cs.rxReset).inc();
  }

  onMalformedResponse(): void {
    this.opts.codecStats?.rxMessagingError.inc();
  }

  onProtocolError(_c: Http2Connection): void {
    this.opts.stats.upstream_cx_protocol_error.inc();
  }

  // ---- internals ----

  private available(): Http2Connection | undefined {
    const max = this.opts.maxRequestsPerConnection;
    for (const c of this.conns) {
      if (c.state === READY && this.expired(c)) {
        c.drain();
        continue;
      }
      if (c.capacity > 0 && (max === 0 || c.opened < max)) return c;
    }
    return undefined;
  }

  /** max_connection_duration reached: counted here, the caller drains the session (no new streams). */
  private expired(c: Http2Connection): boolean {
    const max = this.opts.maxConnectionDurationMs ?? 0;
    if (max <= 0 || this.now() - c.createdAt < max) return false;
    this.opts.stats.upstream_cx_max_duration_reached.inc();
    return true;
  }

  private open(c: Http2Connection, callbacks: UpstreamStreamCallbacks): ReturnType<Http2Connection['newStream']> {
    const s = c.newStream(callbacks);
    const max = this.opts.maxRequestsPerConnection;
    if (max > 0 && c.opened >= max) {
      // The last stream this session may carry: retire it now so no one else picks it.
      this.opts.stats.upstream_cx_max_requests.inc();
      c.state = DRAINING;
    }
    return s;
  }

  /** How many waiting streams the sessions still connecting will take (at our configured limit). */
  private connectingCapacity(): number {
    let n = 0;
    for (const c of this.conns) if (c.state === CONNECTING) n += Math.min(c.maxStreams, this.opts.maxRequestsPerConnection || c.maxStreams);
    return n;
  }

  private createConnection(): void {
    const host = this.host;
    const socket = this.connectFn(host);
    socket.setNoDelay(true);
    const c = new Http2Connection(this, host, socket, this.http2, this.opts.connectTimeoutMs, this.now(), this.opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT, this.opts.codecStats);
    this.conns.add(c);
    const stats = this.opts.stats;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_http2_total.inc();
    stats.upstream_cx_active.inc();
    host.stats.cx_total++;
    host.stats.cx_active++;
  }

  private scheduleServe(): void {
    if (this.serveScheduled) return;
    this.serveScheduled = true;
    // Deferred so a stream ending never runs another stream's callbacks inside its own stack.
    process.nextTick(serveLater, this);
  }

  serve(): void {
    this.serveScheduled = false;
    while (this.waiters.length > 0) {
      const c = this.available();
      if (c === undefined) return;
      const w = this.waiters.shift() as Waiter;
      w.done = true;
      this.opts.stats.upstream_rq_pending_active.dec();
      w.ready.onStreamReady(this.open(c, w.callbacks));
    }
  }

  private failWaiters(n: number, detail: string): void {
    const failed = this.waiters.splice(0, n);
    const stats = this.opts.stats;
    for (const w of failed) {
      w.done = true;
      stats.upstream_rq_pending_active.dec();
      stats.upstream_rq_pending_failure_eject.inc();
    }
    for (const w of failed) w.ready.onStreamFailure('connection_failure', detail);
  }

  private finish(c: Http2Connection, local: boolean): void {
    if (!this.conns.delete(c)) return;
    c.deadline.cancel();
    const s = this.opts.stats;
    s.upstream_cx_active.dec();
    this.host.stats.cx_active--;
    s.upstream_cx_destroy.inc();
    if (local) s.upstream_cx_destroy_local.inc();
    else s.upstream_cx_destroy_remote.inc();
    if (c.activeAtClose > 0) {
      s.upstream_cx_destroy_with_active_rq.inc();
      if (local) s.upstream_cx_destroy_local_with_active_rq.inc();
      else s.upstream_cx_destroy_remote_with_active_rq.inc();
    }
    s.upstream_cx_rx_bytes_total.add(c.socket.bytesRead);
    s.upstream_cx_tx_bytes_total.add(c.socket.bytesWritten);
    s.upstream_cx_length_ms.record(this.now() - c.createdAt);
  }
}

function serveLater(pool: Http2Pool): void {
  pool.serve();
}
