import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { UpstreamTransport } from '../interfaces/transport-socket.js';
import { formatAddress } from '../network/address.js';
import { readDirect, sharedReadBuffer } from '../network/direct-read.js';
import { handleOf } from '../network/stream-binding.js';
import { socketByteCounts } from '../network/fast-write.js';
import { Deadline, deadlines as processDeadlines, type DeadlineList, type DeadlineOwner, type DeadlineQueues } from '../server/deadline-queue.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ClusterResources } from './circuit-breakers.js';
import { OutlierResult, type Host } from './host.js';
import { connectFailureReason, PoolError } from './pool-error.js';

export { PoolError } from './pool-error.js';
export type { PoolErrorKind } from './pool-error.js';

/**
 * A connection handed out by `acquire`. Attach your 'data'/'error'/'close' listeners in the acquire callback (the
 * socket is already flowing) and remove them before `release`. Give it back with `release`; never destroy the socket
 * directly (the pool would count a remote close).
 */
export interface PooledConnection {
  readonly socket: Socket;
  readonly host: Host;
  /** How many times it has been handed out (for max_requests_per_connection). */
  readonly requests: number;
  /** `ip:port` of the local end, formatted once per connection. */
  readonly localAddress: string;
  /**
   * With `userReads`, receives every chunk read while the connection is handed out (instead of 'data' events); it
   * stays set across requests, so a protocol codec can live as long as the connection. When unset, chunks are
   * emitted as 'data' events as usual.
   */
  reader: ConnectionReader | undefined;
}

/** See PooledConnection.reader. The chunk is the caller's to keep. */
export interface ConnectionReader {
  onConnectionData(chunk: Buffer): void;
}

export interface PendingHandle {
  /** The downstream went away before a connection was ready: the callback will not be called. */
  cancel(): void;
}

export type AcquireCallback = (err: PoolError | undefined, conn: PooledConnection | undefined) => void;

/** The object form of an AcquireCallback (no closure per request). */
export interface PoolReadyHandler {
  onPoolReady(err: PoolError | undefined, conn: PooledConnection | undefined): void;
}

function deliver(cb: AcquireCallback | PoolReadyHandler, err: PoolError | undefined, conn: PooledConnection | undefined): void {
  if (typeof cb === 'function') cb(err, conn);
  else cb.onPoolReady(err, conn);
}

export interface ConnectionPoolOptions {
  readonly host: Host;
  readonly stats: ClusterStats;
  readonly connectTimeoutMs: number;
  /** 0 disables the idle timeout. */
  readonly idleTimeoutMs: number;
  /** 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** 0 = unlimited. Checked when a connection is released or reused (no timer per connection). */
  readonly maxConnectionDurationMs?: number | undefined;
  /** `upstream_connection_options.tcp_keepalive.keepalive_time` in ms; undefined = keep-alive off. */
  readonly tcpKeepaliveMs?: number | undefined;
  /** Opens the socket (tests inject one that never connects). Default: `net.connect` to the host's current address. */
  readonly connect?: ((host: Host) => Socket) | undefined;
  /**
   * A transport socket (TLS): connections are ready after its handshake and verification; its failures are connect
   * failures with its transport failure reason. Works with `userReads` and `halfOpen`.
   */
  readonly transport?: UpstreamTransport | undefined;
  /** Open sockets with allowHalfOpen (TCP proxying); HTTP pools treat a peer FIN as the end of the connection. */
  readonly halfOpen?: boolean | undefined;
  /**
   * Read with Node's `onread` into one process-wide buffer and copy each chunk out, bypassing the Readable stream
   * machinery ('data' events, a 64 KiB allocation per read): chunks go to `PooledConnection.reader`. Ignored with a
   * custom `connect`.
   */
  readonly userReads?: boolean | undefined;
  readonly now?: (() => number) | undefined;
  /** Circuit breakers: max_connections and max_pending_requests (shared by the cluster's pools). */
  readonly resources?: ClusterResources | undefined;
  /** Where idle timeouts are scheduled (default: the process-wide queues). */
  readonly deadlines?: DeadlineQueues | undefined;
}

const CONNECTING = 0;
const BUSY = 1;
const IDLE = 2;
const CLOSED = 3;

function defaultConnect(host: Host): Socket {
  return netConnect({ host: host.address, port: host.port });
}

/**
 * A static buffer, not a function: Node calls a buffer function from C++ for every read, which measurably slows
 * small exchanges (transports that need a function, TLS, get sharedReadBuffer itself).
 */
function userReadConnect(host: Host, c: Conn): Socket {
  const socket = netConnect({ host: host.address, port: host.port, onread: { buffer: sharedReadBuffer(), callback: c.onRead } });
  // Skips Node's read callback too: chunks arrive already copied out of the shared buffer.
  readDirect(socket, c.onChunk, true);
  return socket;
}

/** Scratch for flushBytes (one connection at a time). */
const byteCounts = { read: 0, written: 0 };

/** Half-open sockets: tcp_proxy relays a FIN in one direction while the other keeps flowing. */
function halfOpenConnect(host: Host): Socket {
  return netConnect({ host: host.address, port: host.port, allowHalfOpen: true });
}

class Conn implements PooledConnection, DeadlineOwner {
  state = CONNECTING;
  requests = 0;
  socket!: Socket;
  reader: ConnectionReader | undefined = undefined;
  readonly createdAt: number;
  connectTimer: NodeJS.Timeout | undefined;
  readonly deadline = new Deadline(this);
  rxFlushed = 0;
  txFlushed = 0;
  /** The peer's FIN was read ('end'): the connection cannot carry another request. */
  ended = false;
  private localText: string | undefined;
  /** Connections older than a `drain()` are closed instead of reused. */
  readonly generation: number;
  readonly onConnect: () => void;
  readonly onSecureConnect: () => void;
  readonly onError: (err: Error) => void;
  readonly onClose: () => void;
  readonly onData: () => void;
  readonly onEnd: () => void;
  readonly onConnectTimeout: () => void;
  readonly onRead: (n: number, buf: Uint8Array) => boolean;
  /** A chunk read from the socket (copied: the callee may keep it). */
  readonly onChunk: (chunk: Buffer) => void;

  constructor(
    readonly pool: ConnectionPool,
    readonly host: Host,
    now: number,
  ) {
    this.createdAt = now;
    this.generation = pool.generation;
    // Bound once per connection (not per request).
    this.onConnect = () => pool.handleConnect(this);
    this.onSecureConnect = () => pool.handleSecureConnect(this);
    this.onError = (err) => pool.handleError(this, err);
    this.onClose = () => pool.handleRemoteClose(this);
    this.onData = () => {
      if (this.state === IDLE) pool.handleIdleActivity(this);
    };
    this.onEnd = () => {
      this.ended = true;
      if (this.state === IDLE) pool.handleIdleEof(this);
    };
    this.onConnectTimeout = () => pool.handleConnectTimeout(this);
    this.onRead = (n, buf) => {
      const chunk = Buffer.allocUnsafe(n);
      chunk.set(new Uint8Array(buf.buffer, buf.byteOffset, n));
      this.onChunk(chunk);
      return true; // flow control is pause()/resume() on the socket
    };
    this.onChunk = (chunk) => {
      if (this.state === IDLE) {
        pool.handleIdleActivity(this);
        return;
      }
      const reader = this.reader;
      if (reader !== undefined) reader.onConnectionData(chunk);
      else this.socket.emit('data', chunk);
    };
  }

  get localAddress(): string {
    return (this.localText ??= formatAddress(this.socket.localAddress ?? '', this.socket.localPort ?? 0));
  }

  /** Idle timeout (scheduled when parked; a busy connection ignores it and is re-armed when parked again). */
  onDeadline(): void {
    this.pool.handleIdleTimeout(this);
  }
}

class Pending implements PendingHandle {
  done = false;
  constructor(
    private readonly pool: ConnectionPool,
    readonly cb: AcquireCallback | PoolReadyHandler,
    /** Wants a newly opened connection, never an idle one (see acquire). */
    readonly fresh: boolean,
  ) {}
  cancel(): void {
    if (!this.done) this.pool.cancelPending(this);
  }
}

/**
 * Raw TCP connections to one host (Envoy's per-host connection pool, HTTP/1 style: one request per connection at a
 * time). Idle connections are reused most-recently-released first. Request stats (`upstream_rq_*`) are the
 * caller's; the pool keeps the connection stats and the pending-request stats.
 */
export class ConnectionPool {
  readonly host: Host;
  /** Bumped by `drain()`. */
  generation = 0;
  private readonly idle: Conn[] = [];
  private readonly pending: Pending[] = [];
  private readonly conns = new Set<Conn>();
  private connecting = 0;
  private busy = 0;
  private closed = false;
  private serveScheduled = false;
  private readonly now: () => number;
  private readonly connectFn: (host: Host) => Socket;
  private readonly userReads: boolean;
  private readonly halfOpen: boolean;
  private readonly idleList: DeadlineList | undefined;

  constructor(private readonly opts: ConnectionPoolOptions) {
    this.host = opts.host;
    this.now = opts.now ?? performance.now.bind(performance);
    this.connectFn = opts.connect ?? (opts.halfOpen ? halfOpenConnect : defaultConnect);
    this.userReads = opts.userReads === true && opts.connect === undefined;
    this.halfOpen = opts.halfOpen === true;
    this.idleList = opts.idleTimeoutMs > 0 ? (opts.deadlines ?? processDeadlines).list(opts.idleTimeoutMs) : undefined;
  }

  /** Connections handed out and not yet released. */
  get activeCount(): number {
    return this.busy;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get connectingCount(): number {
    return this.connecting;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** No connection of any kind and nothing waiting. */
  get isEmpty(): boolean {
    return this.conns.size === 0 && this.pending.length === 0;
  }

  /**
   * Calls `cb` synchronously with an idle connection (returns undefined), or queues the request and connects
   * (returns a handle to cancel it). `fresh`: skip idle connections and wait for a newly opened one (a request
   * re-sent after a reused connection closed under it must not meet another stale one).
   */
  acquire(cb: AcquireCallback | PoolReadyHandler, fresh = false): PendingHandle | undefined {
    if (this.closed) {
      deliver(cb, new PoolError('connect_failure', 'connection pool closed'), undefined);
      return undefined;
    }
    const c = fresh ? undefined : this.popIdle();
    if (c !== undefined) {
      this.attach(c);
      deliver(cb, undefined, c);
      return undefined;
    }
    const res = this.opts.resources;
    if (res !== undefined && !res.pendingRequests.canCreate()) {
      this.opts.stats.upstream_rq_pending_overflow.inc();
      deliver(cb, new PoolError('overflow', 'pending requests overflow'), undefined);
      return undefined;
    }
    // At the connection limit, an idle connection (the least recently used) makes room for the fresh one.
    if (fresh && res !== undefined && !res.connections.canCreate() && this.idle.length > 0) this.destroy(this.idle[0] as Conn, false);
    const p = new Pending(this, cb, fresh);
    this.pending.push(p);
    res?.pendingRequests.inc();
    this.opts.stats.upstream_rq_pending_total.inc();
    this.opts.stats.upstream_rq_pending_active.inc();
    if (this.connecting < this.pending.length) this.createConnection();
    return p;
  }

  /**
   * Gives a connection back: `reusable` = the protocol exchange ended cleanly and the connection may be reused.
   * `remoteClosed`: the caller saw the peer close it mid-exchange (a remote destroy with an active request).
   */
  release(conn: PooledConnection, reusable: boolean, remoteClosed = false): void {
    const c = conn as Conn;
    if (c.pool !== this) throw new Error('connection released to a pool that does not own it');
    if (c.state !== BUSY) return; // already closed by the peer
    if (remoteClosed) {
      this.finish(c, false, true);
      c.socket.destroy();
      return;
    }
    this.flushBytes(c);
    const max = this.opts.maxRequestsPerConnection;
    if (!reusable || this.closed || c.generation !== this.generation) {
      this.destroy(c, false);
      return;
    }
    if (max > 0 && c.requests >= max) {
      this.opts.stats.upstream_cx_max_requests.inc();
      this.destroy(c, false);
      return;
    }
    if (this.expired(c)) {
      this.destroy(c, false);
      return;
    }
    // Our own flags rather than socket.destroyed / writable / readableEnded, Node getters that each walk stream
    // state through generic lookups: the handle is dropped synchronously on destroy, 'end' marks the peer's FIN, and
    // only half-open (tcp_proxy) connections are ever ended by us while still open.
    if (c.ended || handleOf(c.socket) === null || (this.opts.halfOpen === true && !c.socket.writable)) {
      this.destroy(c, false);
      return;
    }
    this.busy--;
    this.park(c);
    if (this.pending.length > 0) this.scheduleServe();
  }

  /** Closes idle connections now and every other existing one when released; new requests get new connections. */
  drain(): void {
    this.generation++;
    while (this.idle.length > 0) this.destroy(this.idle[this.idle.length - 1] as Conn, false);
  }

  /** Closes everything; pending requests fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending(this.pending.length, new PoolError('connect_failure', 'connection pool closed'));
    for (const c of [...this.conns]) this.destroy(c, c.state === BUSY);
  }

  // --- internals (called by Conn / Pending handlers) ---

  private pendingDone(): void {
    this.opts.stats.upstream_rq_pending_active.dec();
    this.opts.resources?.pendingRequests.dec();
  }

  cancelPending(p: Pending): void {
    const i = this.pending.indexOf(p);
    if (i < 0) return;
    this.pending.splice(i, 1);
    p.done = true;
    this.pendingDone();
    this.opts.stats.upstream_rq_cancelled.inc();
  }

  handleConnect(c: Conn): void {
    if (c.state !== CONNECTING) return;
    clearTimeout(c.connectTimer);
    c.connectTimer = undefined;
    this.connecting--;
    this.opts.stats.upstream_cx_connect_ms.record(this.now() - c.createdAt);
    const p = this.pending.shift();
    if (p !== undefined) {
      this.pendingDone();
      p.done = true;
      this.attach(c);
      deliver(p.cb, undefined, c);
    } else if (c.generation !== this.generation) {
      this.destroy(c, false);
    } else {
      this.park(c);
    }
  }

  handleSecureConnect(c: Conn): void {
    if (c.state !== CONNECTING) return;
    const failure = (this.opts.transport as UpstreamTransport).verify(c.socket);
    if (failure === undefined) {
      this.handleConnect(c);
      return;
    }
    this.connectFailed(c, new PoolError('connect_failure', failure), true);
    c.socket.destroy();
  }

  handleError(c: Conn, err: Error): void {
    if (c.state === CONNECTING) {
      const transport = this.opts.transport;
      const reason = transport !== undefined ? transport.failureReason(err) : connectFailureReason(err);
      this.connectFailed(c, new PoolError('connect_failure', reason, { cause: err }), false);
    } else if (c.state === IDLE) {
      this.finish(c, false, false);
    }
    // BUSY: the caller owns the socket and sees the error; 'close' follows and does the bookkeeping.
  }

  handleRemoteClose(c: Conn): void {
    if (c.state === CONNECTING) {
      this.connectFailed(c, new PoolError('connect_failure', 'remote connection failure'), false);
    } else if (c.state !== CLOSED) {
      this.finish(c, false, c.state === BUSY);
    }
  }

  handleIdleActivity(c: Conn): void {
    // Unexpected bytes on an idle connection: it cannot carry another request.
    this.destroy(c, false);
  }

  handleIdleEof(c: Conn): void {
    // The peer closed an idle connection: a remote close.
    this.finish(c, false, false);
    c.socket.destroy();
  }

  handleConnectTimeout(c: Conn): void {
    if (c.state !== CONNECTING) return;
    this.opts.stats.upstream_cx_connect_timeout.inc();
    this.connectFailed(c, new PoolError('timeout', ''), true);
    c.socket.destroy();
  }

  handleIdleTimeout(c: Conn): void {
    if (c.state !== IDLE) return; // handed out meanwhile; re-armed when parked again
    this.opts.stats.upstream_cx_idle_timeout.inc();
    this.destroy(c, false);
  }

  private createConnection(): void {
    const res = this.opts.resources;
    if (res !== undefined) {
      // Like Envoy, a pool with no connection at all may always open one (no deadlock at the limit).
      if (!res.connections.canCreate() && this.conns.size !== 0) {
        this.opts.stats.upstream_cx_overflow.inc();
        return;
      }
      res.connections.inc();
    }
    const host = this.host;
    const c = new Conn(this, host, this.now());
    const transport = this.opts.transport;
    const socket =
      transport !== undefined
        ? transport.connect(host.address, host.port, this.opts.halfOpen === true, this.userReads ? { buffer: sharedReadBuffer, callback: c.onRead } : undefined)
        : this.userReads
          ? userReadConnect(host, c)
          : this.connectFn(host);
    c.socket = socket;
    socket.setNoDelay(true);
    if (this.opts.tcpKeepaliveMs !== undefined) socket.setKeepAlive(true, this.opts.tcpKeepaliveMs);
    this.conns.add(c);
    this.connecting++;
    const stats = this.opts.stats;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_active.inc();
    host.stats.cx_total++;
    host.stats.cx_active++;
    if (transport !== undefined) socket.once('secureConnect', c.onSecureConnect);
    else socket.once('connect', c.onConnect);
    socket.on('error', c.onError);
    socket.on('close', c.onClose);
    if (!this.userReads) socket.on('data', c.onData);
    socket.on('end', c.onEnd);
    c.connectTimer = setTimeout(c.onConnectTimeout, this.opts.connectTimeoutMs);
  }

  private connectFailed(c: Conn, err: PoolError, local: boolean): void {
    clearTimeout(c.connectTimer);
    c.connectTimer = undefined;
    this.connecting--;
    this.opts.stats.upstream_cx_connect_fail.inc();
    this.host.stats.cx_connect_fail++;
    this.host.outlier.putResult(err.kind === 'timeout' ? OutlierResult.LOCAL_ORIGIN_TIMEOUT : OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    this.finish(c, local, false);
    // Requests that no other connecting connection can serve fail now (oldest first).
    const excess = this.pending.length - this.connecting;
    if (excess > 0) this.failPending(excess, err);
  }

  private failPending(n: number, err: PoolError): void {
    const failed = this.pending.splice(0, n);
    for (const p of failed) {
      p.done = true;
      this.pendingDone();
      this.opts.stats.upstream_rq_pending_failure_eject.inc();
    }
    for (const p of failed) deliver(p.cb, err, undefined);
  }

  private attach(c: Conn): void {
    c.state = BUSY;
    c.requests++;
    this.busy++;
    // Every hand-out is a local-origin success for outlier detection (Envoy reports it on pool ready); tcp_proxy
    // reports nothing after connecting, so it is final there.
    this.host.outlier.putResult(this.halfOpen ? OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL : OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS);
  }

  /** max_connection_duration reached (counted once: the connection is closed right after). */
  private expired(c: Conn): boolean {
    const max = this.opts.maxConnectionDurationMs ?? 0;
    if (max <= 0 || this.now() - c.createdAt < max) return false;
    this.opts.stats.upstream_cx_max_duration_reached.inc();
    return true;
  }

  private popIdle(): Conn | undefined {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) return undefined;
      const s = c.socket;
      if (!s.destroyed && s.writable && !s.readableEnded) {
        if (!this.expired(c)) return c;
        this.destroy(c, false);
        continue;
      }
      this.finish(c, false, false);
      s.destroy();
    }
  }

  private park(c: Conn): void {
    c.state = IDLE;
    this.idle.push(c);
    // See EOF or stray bytes while idle. A user-read socket is never left paused here (its stream resumes it on
    // release), and resume() is not free: it walks the Readable's state through generic lookups.
    if (!this.userReads) c.socket.resume();
    this.idleList?.schedule(c.deadline);
  }

  private scheduleServe(): void {
    if (this.serveScheduled) return;
    this.serveScheduled = true;
    // Deferred so a release never runs another request's callback inside the releasing caller's stack.
    process.nextTick(servePending, this);
  }

  /** Hands idle connections to waiting requests (not to those waiting for a fresh connection). */
  servePending(): void {
    this.serveScheduled = false;
    const pending = this.pending;
    for (let i = 0; i < pending.length; ) {
      if ((pending[i] as Pending).fresh) {
        i++;
        continue;
      }
      const c = this.popIdle();
      if (c === undefined) break;
      const p = (i === 0 ? pending.shift() : pending.splice(i, 1)[0]) as Pending;
      p.done = true;
      this.pendingDone();
      this.attach(c);
      deliver(p.cb, undefined, c);
    }
    // Requests left waiting (a closed connection, or the connection limit was reached before) get connections.
    while (!this.closed && this.connecting < this.pending.length) {
      const before = this.connecting;
      this.createConnection();
      if (this.connecting === before) return;
    }
  }

  /** Local close: bookkeeping now, then destroy the socket. */
  private destroy(c: Conn, withActiveRq: boolean): void {
    if (c.state === CONNECTING) {
      clearTimeout(c.connectTimer);
      this.connecting--;
    }
    this.finish(c, true, withActiveRq);
    c.socket.destroy();
  }

  private finish(c: Conn, local: boolean, withActiveRq: boolean): void {
    const prev = c.state;
    if (prev === CLOSED) return;
    c.state = CLOSED;
    this.conns.delete(c);
    this.opts.resources?.connections.dec();
    if (this.pending.length !== 0 && !this.closed) this.scheduleServe();
    if (prev === IDLE) {
      const i = this.idle.lastIndexOf(c);
      if (i >= 0) this.idle.splice(i, 1);
    } else if (prev === BUSY) {
      this.busy--;
    }
    c.deadline.cancel();
    this.flushBytes(c);
    const s = this.opts.stats;
    s.upstream_cx_active.dec();
    this.host.stats.cx_active--;
    s.upstream_cx_destroy.inc();
    if (local) s.upstream_cx_destroy_local.inc();
    else s.upstream_cx_destroy_remote.inc();
    if (withActiveRq) {
      s.upstream_cx_destroy_with_active_rq.inc();
      if (local) s.upstream_cx_destroy_local_with_active_rq.inc();
      else s.upstream_cx_destroy_remote_with_active_rq.inc();
    }
    s.upstream_cx_length_ms.record(this.now() - c.createdAt);
  }

  private flushBytes(c: Conn): void {
    const counts = byteCounts;
    socketByteCounts(c.socket, counts);
    const read = counts.read;
    const written = counts.written;
    if (read > c.rxFlushed) {
      this.opts.stats.upstream_cx_rx_bytes_total.add(read - c.rxFlushed);
      c.rxFlushed = read;
    }
    if (written > c.txFlushed) {
      this.opts.stats.upstream_cx_tx_bytes_total.add(written - c.txFlushed);
      c.txFlushed = written;
    }
  }
}

function servePending(pool: ConnectionPool): void {
  pool.servePending();
}
