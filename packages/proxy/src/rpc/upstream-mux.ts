import type { RpcCodec, RpcConnectionCodec, RpcFrame } from '../interfaces/rpc-codec.js';
import { RpcProtocolError } from '../interfaces/rpc-codec.js';
import { Deadline, deadlines, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';
import { WriteBatch } from '../network/write-batch.js';
import type { ConnectionPool, ConnectionReader, PooledConnection, PoolError, PoolReadyHandler } from '../upstream/connection-pool.js';
import type { Cluster } from '../upstream/cluster.js';
import { OutlierResult } from '../upstream/host.js';
import { InflightTable } from './inflight-table.js';
import { clearArray } from '../server/clear-array.js';

/** Why an upstream exchange failed before its response. */
export type MuxFailure = 'connect_failure' | 'reset' | 'overflow';

/** One request as the upstream pool sees it (implemented by the active request). */
export interface MuxRequest {
  /** The downstream request, forwarded through the upstream codec's rewriteRequest. */
  readonly frame: RpcFrame;
  /** Headers to set upstream (the colour), or undefined. */
  readonly setHeaders: ReadonlyMap<string, string> | undefined;
  /** No other send reuses `frame.bytes` (no retry has happened, no mirror): they may be patched in place. */
  readonly sendsOnce: boolean;
  /** Set by the pool while the request waits for a connection or its response. */
  muxConn: RpcMuxConnection | undefined;
  upstreamId: number;
  /** The request was written upstream (oneway requests are done at this point). */
  onUpstreamSent(conn: RpcMuxConnection): void;
  onUpstreamResponse(frame: RpcFrame): void;
  onUpstreamFailure(kind: MuxFailure, reason: string): void;
}

export interface MuxOptions {
  readonly connectionsPerHost: number;
  readonly heartbeatMs: number;
  readonly maxFrameBytes: number;
}

/** Upstream request ids stay positive 31-bit numbers (every protocol's id field holds them). */
const MAX_ID = 0x7fffffff;

/**
 * A pooled upstream connection shared by many requests: the proxy assigns each request an id unique on this
 * connection, rewrites it into the frame, and maps responses back by id (in any order). A reset fails every
 * request still waiting for its response. Idle connections send the protocol's heartbeat.
 */
export class RpcMuxConnection implements ConnectionReader, DeadlineOwner {
  readonly deadline = new Deadline(this);

  readonly inflight = new InflightTable<MuxRequest>();
  private readonly heartbeats = new Set<number>();
  private readonly frames: RpcFrame[] = [];
  private nextId = 1;
  closed = false;
  /** No new requests (the pool was drained or the protocol state is unknown); closes once empty. */
  retiring = false;
  private readonly heartbeatList: DeadlineList | undefined;
  /** Requests of one read go out in one writev. */
  private readonly out: WriteBatch;
  /** The RpcRewrite of every dispatch, reused (the codec does not keep it). */
  private readonly rewrite = { requestId: 0, setHeaders: undefined as ReadonlyMap<string, string> | undefined, inPlace: false };
  /** Downstream readers paused because this connection's write buffer is full. */
  readonly blocked = new Set<{ onUpstreamDrain(): void }>();

  constructor(
    readonly pool: RpcMuxPool,
    readonly pooled: PooledConnection,
    readonly codec: RpcConnectionCodec,
    readonly generation: number,
    heartbeatMs: number,
  ) {
    pooled.reader = this;
    const s = pooled.socket;
    this.out = new WriteBatch(s);
    s.on('close', () => this.onClose());
    s.on('error', () => undefined); // 'close' follows and does the bookkeeping
    s.on('drain', () => this.onDrain());
    this.heartbeatList = heartbeatMs > 0 && codec.encodeHeartbeat(0) !== undefined ? deadlines.list(heartbeatMs) : undefined;
    this.heartbeatList?.schedule(this.deadline);
  }

  get load(): number {
    return this.inflight.size;
  }

  /** Writes `req` with a fresh upstream id; returns false when the socket buffer is over its limit. */
  dispatch(req: MuxRequest): boolean {
    const id = this.allocateId();
    req.muxConn = this;
    req.upstreamId = id;
    const rewrite = this.rewrite;
    rewrite.requestId = id;
    rewrite.setHeaders = req.setHeaders;
    rewrite.inPlace = req.sendsOnce;
    const f = req.frame;
    const codec = this.codec;
    let ok: boolean;
    if (codec.rewriteRequestInPlace !== undefined && codec.rewriteRequestInPlace(f, rewrite)) {
      ok = this.out.writeRange(f.backing as ArrayBufferLike, f.backingOffset as number, f.size);
    } else {
      const bytes = codec.rewriteRequest(f, rewrite);
      ok = this.out.write(bytes, bytes === f.bytes ? f.backing : undefined);
    }
    if (!f.oneway) this.inflight.add(req);
    this.heartbeatList?.schedule(this.deadline);
    req.onUpstreamSent(this);
    return ok;
  }

  /** The request no longer wants its response (downstream gone, timeout). */
  cancel(req: MuxRequest): void {
    if (this.inflight.get(req.upstreamId) === req) this.inflight.delete(req.upstreamId);
    req.muxConn = undefined;
    if (this.retiring && this.inflight.size === 0) this.close();
  }

  onConnectionData(chunk: Buffer): void {
    enterIoScope();
    try {
      this.heartbeatList?.schedule(this.deadline);
      const frames = this.frames;
      try {
        this.codec.decode(chunk, frames);
      } catch (err) {
        if (!(err instanceof RpcProtocolError)) throw err;
        this.pool.cluster.stats.upstream_cx_protocol_error.inc();
        this.close();
        return;
      }
      for (let i = 0; i < frames.length; i++) this.onFrame(frames[i] as RpcFrame);
      clearArray(frames);
    } finally {
      exitIoScope();
    }
  }

  private onFrame(f: RpcFrame): void {
    if (f.goAway === true) {
      // The server is going away: no new requests here; the ones in flight still get their answers.
      this.retire();
      return;
    }
    if (f.kind === 'request') {
      // The server's own keep-alive: answered here; any other request from a server is not ours to serve.
      if (f.heartbeat) this.out.write(this.codec.encodeHeartbeatReply(f));
      return;
    }
    if (this.heartbeats.size !== 0 && this.heartbeats.delete(f.requestId)) return;
    const req = this.inflight.get(f.requestId);
    if (req === undefined) return; // cancelled (timeout, downstream gone)
    this.inflight.delete(f.requestId);
    req.muxConn = undefined;
    req.onUpstreamResponse(f);
    // A drained pool (host removed, cluster replaced) gets its connections back once they are idle.
    if (this.inflight.size === 0 && (this.retiring || this.pool.connectionPool.generation !== this.generation)) this.close();
  }

  /**
   * Idle: send a heartbeat (its response is swallowed by id). A heartbeat still unanswered after a whole interval of
   * silence means the peer is gone (a half-open TCP connection): an idle connection is closed.
   */
  onDeadline(): void {
    if (this.closed) return;
    if (this.heartbeats.size !== 0) {
      // Calls in flight are left to their own timeouts; an idle connection is simply replaced.
      if (this.inflight.size !== 0) {
        this.heartbeatList?.schedule(this.deadline);
        return;
      }
      this.pool.onHeartbeatTimeout();
      this.close();
      return;
    }
    const id = this.allocateId();
    const hb = this.codec.encodeHeartbeat(id);
    if (hb === undefined) return;
    this.heartbeats.add(id);
    this.pool.onHeartbeat();
    this.pooled.socket.write(hb);
    this.heartbeatList?.schedule(this.deadline);
  }

  private allocateId(): number {
    let id = this.nextId;
    while (this.inflight.taken(id) || (this.heartbeats.size !== 0 && this.heartbeats.has(id))) id = id >= MAX_ID ? 1 : id + 1;
    this.nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  private onDrain(): void {
    if (this.blocked.size === 0) return;
    const waiters = [...this.blocked];
    this.blocked.clear();
    for (const w of waiters) w.onUpstreamDrain();
  }

  /** Stops taking new requests; closes once the in-flight ones are answered. */
  retire(): void {
    this.retiring = true;
    if (this.inflight.size === 0) this.close();
  }

  /** Closes locally; requests still waiting fail as resets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.connectionClosed(this);
    this.pool.connectionPool.release(this.pooled, false);
    this.failInflight();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.connectionClosed(this);
    this.failInflight();
  }

  private failInflight(): void {
    this.deadline.cancel();
    this.onDrain();
    if (this.inflight.size === 0) return;
    const reqs = this.inflight.drain();
    this.pooled.host.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    for (const r of reqs) {
      r.muxConn = undefined;
      r.onUpstreamFailure('reset', 'upstream connection closed');
    }
  }
}

/**
 * The multiplexed connections to one host for one protocol: up to `connectionsPerHost` connections from the
 * cluster's 'rpc' connection pool, held while in use; requests go to the least loaded ready connection and wait
 * (as pending requests, under the cluster's pending circuit breaker) while the first one connects.
 */
export class RpcMuxPool implements PoolReadyHandler {
  private readonly conns: RpcMuxConnection[] = [];
  private readonly pending: MuxRequest[] = [];
  /** How many of `pending` this pool counted against the pending circuit breaker (the first one is the pool's). */
  private counted = 0;
  private connecting = 0;

  constructor(
    readonly cluster: Cluster,
    readonly connectionPool: ConnectionPool,
    private readonly codec: RpcCodec,
    private readonly opts: MuxOptions,
    /** Counts heartbeats sent (`timedOut` false) and connections closed for an unanswered one (true). */
    private readonly onHeartbeatSent: (timedOut: boolean) => void,
  ) {}

  /** Sends `req` now or once a connection is ready; failures come back through `req.onUpstreamFailure`. */
  send(req: MuxRequest): boolean {
    const conn = this.pick();
    if (conn !== undefined) return conn.dispatch(req);
    this.pending.push(req);
    if (this.connecting === 0) {
      // The connection pool counts this request as pending (max_pending_requests) while it connects.
      this.connect();
      return true;
    }
    // Later requests wait for the same connection: counted here.
    const res = this.cluster.resources.DEFAULT;
    if (!res.pendingRequests.canCreate()) {
      this.pending.pop();
      this.cluster.stats.upstream_rq_pending_overflow.inc();
      req.onUpstreamFailure('overflow', 'pending requests overflow');
      return true;
    }
    res.pendingRequests.inc();
    this.cluster.stats.upstream_rq_pending_total.inc();
    this.cluster.stats.upstream_rq_pending_active.inc();
    this.counted++;
    return true;
  }

  /** A request waiting for a connection gives up. */
  cancelPending(req: MuxRequest): boolean {
    const i = this.pending.indexOf(req);
    if (i < 0) return false;
    this.pending.splice(i, 1);
    if (this.counted > this.pending.length) this.releaseCounted(1);
    this.cluster.stats.upstream_rq_cancelled.inc();
    return true;
  }

  private releaseCounted(n: number): void {
    for (let i = 0; i < n; i++) {
      this.cluster.resources.DEFAULT.pendingRequests.dec();
      this.cluster.stats.upstream_rq_pending_active.dec();
    }
    this.counted -= n;
  }

  private pick(): RpcMuxConnection | undefined {
    const gen = this.connectionPool.generation;
    let best: RpcMuxConnection | undefined;
    // Backwards: retiring an idle connection removes it from the list.
    for (let i = this.conns.length - 1; i >= 0; i--) {
      const c = this.conns[i] as RpcMuxConnection;
      if (c.generation !== gen) {
        c.retire();
        continue;
      }
      if (c.retiring) continue;
      if (best === undefined || c.load < best.load) best = c;
    }
    // Open another connection (up to the limit) when every existing one is busy.
    if (best !== undefined && best.load > 0 && this.live() + this.connecting < this.opts.connectionsPerHost) this.connect();
    return best;
  }

  private live(): number {
    let n = 0;
    for (const c of this.conns) if (!c.retiring) n++;
    return n;
  }

  private connect(): void {
    this.connecting++;
    this.connectionPool.acquire(this);
  }

  onPoolReady(err: PoolError | undefined, pooled: PooledConnection | undefined): void {
    this.connecting--;
    if (err !== undefined || pooled === undefined) {
      const kind: MuxFailure = err?.kind === 'overflow' ? 'overflow' : 'connect_failure';
      const reason = err?.reason || (err?.kind === 'timeout' ? 'connection timeout' : 'connection failure');
      const failed = this.pending.splice(0, this.pending.length);
      this.releaseCounted(this.counted);
      for (const r of failed) r.onUpstreamFailure(kind, reason);
      return;
    }
    const conn = new RpcMuxConnection(
      this,
      pooled,
      this.codec.createConnectionCodec({ maxFrameBytes: this.opts.maxFrameBytes }),
      this.connectionPool.generation,
      this.opts.heartbeatMs,
    );
    this.conns.push(conn);
    const waiting = this.pending.splice(0, this.pending.length);
    this.releaseCounted(this.counted);
    for (const r of waiting) {
      if (conn.closed) r.onUpstreamFailure('reset', 'upstream connection closed');
      else conn.dispatch(r);
    }
  }

  connectionClosed(c: RpcMuxConnection): void {
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
  }

  onHeartbeat(): void {
    this.onHeartbeatSent(false);
  }

  onHeartbeatTimeout(): void {
    this.onHeartbeatSent(true);
  }
}

/** Mux pools by connection pool (cluster + host) and protocol. */
const muxPools = new WeakMap<ConnectionPool, Map<string, RpcMuxPool>>();

/**
 * The multiplexed pool for `cluster`'s host pool and `codec`. The first caller's options (connections per host,
 * heartbeat interval, frame limit) apply to the pool.
 */
export function muxPoolFor(cluster: Cluster, pool: ConnectionPool, codec: RpcCodec, opts: MuxOptions, onHeartbeat: (timedOut: boolean) => void): RpcMuxPool {
  // Consecutive requests mostly go to the same pool: checked before the two map lookups.
  if (pool === lastPool && codec === lastCodec) return lastMux as RpcMuxPool;
  let byCodec = muxPools.get(pool);
  if (byCodec === undefined) {
    byCodec = new Map();
    muxPools.set(pool, byCodec);
  }
  let mp = byCodec.get(codec.name);
  if (mp === undefined) {
    mp = new RpcMuxPool(cluster, pool, codec, opts, onHeartbeat);
    byCodec.set(codec.name, mp);
  }
  lastPool = pool;
  lastCodec = codec;
  lastMux = mp;
  return mp;
}

let lastPool: ConnectionPool | undefined;
let lastCodec: RpcCodec | undefined;
let lastMux: RpcMuxPool | undefined;
