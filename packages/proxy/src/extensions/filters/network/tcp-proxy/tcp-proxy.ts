import type { DownstreamConnection, Drainable } from '../../../../interfaces/network-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { Counter } from '../../../../interfaces/stats.js';
import type { AccessLogger } from '../../../../observability/access-log/access-log-factory.js';
import type { FactoryContext } from '../../../../server/factory-context.js';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../../../../server/deadline-queue.js';
import type { Cluster } from '../../../../upstream/cluster.js';
import type { ConnectionPool, PooledConnection, PoolError } from '../../../../upstream/connection-pool.js';
import { formatAddress } from '../../../../network/address.js';

export interface TcpProxyConfig {
  readonly statPrefix: string;
  readonly clusters: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  readonly totalWeight: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectAttempts: number;
  readonly maxDurationMs: number;
  readonly accessLoggers: readonly AccessLogger[];
  readonly stats: {
    readonly cxTotal: Counter;
    readonly cxNoRoute: Counter;
    readonly rxBytes: Counter;
    readonly txBytes: Counter;
    readonly pausedReading: Counter;
    readonly resumedReading: Counter;
    readonly idleTimeout: Counter;
    readonly maxDuration: Counter;
    readonly upstreamFlush: Counter;
  };
  readonly ctx: FactoryContext;
}

/**
 * One proxied TCP connection: picks a cluster and host, connects, then relays bytes both ways with backpressure
 * and half-close, like Envoy's tcp_proxy. Byte counts and flags end up in the connection's StreamInfo.
 */
export class TcpProxySession implements Drainable, DeadlineOwner {
  readonly deadline = new Deadline(this);

  private upstream: PooledConnection | undefined;
  private pool: ConnectionPool | undefined;
  private cluster: Cluster | undefined;
  private attempts = 0;
  private closed = false;
  private downstreamEnded = false;
  private upstreamEnded = false;
  private idleList: DeadlineList | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private pendingCancel: { cancel(): void } | undefined;
  private readonly earlyData: Buffer[] = [];
  private istioRecorded = false;

  constructor(
    private readonly config: TcpProxyConfig,
    private readonly conn: DownstreamConnection,
  ) {}

  start(): void {
    const { config, conn } = this;
    config.stats.cxTotal.inc();
    conn.setDrainable(this);
    const socket = conn.socket;
    // Buffer what the client sends before the upstream is connected; stop reading past the buffer limit.
    socket.on('data', (chunk: Buffer) => this.onDownstreamData(chunk));
    socket.on('end', () => this.onDownstreamEnd());
    socket.on('close', () => this.onDownstreamClose());
    if (config.idleTimeoutMs > 0) {
      this.idleList = config.ctx.deadlines.list(config.idleTimeoutMs);
      this.idleList.schedule(this.deadline);
    }
    if (config.maxDurationMs > 0) {
      this.durationTimer = setTimeout(() => {
        config.stats.maxDuration.inc();
        this.terminate('max_downstream_connection_duration');
      }, config.maxDurationMs);
    }
    const clusterName = this.pickCluster();
    const cluster = config.ctx.clusterManager.get(clusterName);
    conn.info.upstreamCluster = clusterName;
    if (!cluster) {
      config.stats.cxNoRoute.inc();
      conn.info.setResponseFlag(ResponseFlag.NoClusterFound);
      this.terminate('no cluster');
      return;
    }
    this.cluster = cluster;
    this.connect();
  }

  onDeadline(): void {
    this.config.stats.idleTimeout.inc();
    this.terminate('idle timeout');
  }

  startDrain(): void {
    // tcp_proxy has no protocol-level way to ask a client to go away; existing connections run to completion.
  }

  close(reason: string): void {
    this.terminate(reason);
  }

  private pickCluster(): string {
    const { clusters, totalWeight } = this.config;
    if (clusters.length === 1) return (clusters[0] as { name: string }).name;
    let r = Math.floor(Math.random() * totalWeight);
    for (const c of clusters) {
      if (r < c.weight) return c.name;
      r -= c.weight;
    }
    return (clusters[clusters.length - 1] as { name: string }).name;
  }

  private connect(): void {
    const cluster = this.cluster as Cluster;
    const host = cluster.chooseHost(cluster.type === 'ORIGINAL_DST' ? { downstream: this.conn.info } : undefined);
    if (!host) {
      this.conn.info.setResponseFlag(ResponseFlag.NoHealthyUpstream);
      this.terminate('no healthy upstream');
      return;
    }
    this.attempts++;
    this.conn.info.upstreamHost = formatAddress(host.address, host.port);
    // Keep the pool: the cluster may be gone (config change) by the time the connection is released.
    const pool = cluster.pool(host, 'tcp');
    this.pool = pool;
    this.pendingCancel = pool.acquire((err, pooled) => this.onConnected(err, pooled)) ?? undefined;
  }

  private onConnected(err: PoolError | undefined, pooled: PooledConnection | undefined): void {
    this.pendingCancel = undefined;
    if (this.closed) {
      if (pooled) pooled.socket.destroy();
      return;
    }
    if (err?.kind === 'overflow') {
      // Circuit breaker (max_connections / max_pending_requests): no further attempts.
      this.conn.info.setResponseFlag(ResponseFlag.UpstreamOverflow);
      this.terminate('overflow');
      return;
    }
    if (err || !pooled) {
      if (this.attempts < this.config.maxConnectAttempts) {
        this.connect();
        return;
      }
      this.conn.info.setResponseFlag(ResponseFlag.UpstreamConnectionFailure);
      this.conn.info.upstreamTransportFailureReason = err?.reason ?? 'connection failure';
      this.terminate('connect failure');
      return;
    }
    this.upstream = pooled;
    const up = pooled.socket;
    this.conn.info.upstreamLocalAddress = formatAddress(up.localAddress ?? '', up.localPort ?? 0);
    up.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    up.on('end', () => this.onUpstreamEnd());
    up.on('close', () => this.onUpstreamClose());
    up.on('drain', () => this.resumeDownstream());
    this.conn.socket.on('drain', () => this.resumeUpstream());
    for (const chunk of this.earlyData) this.writeUpstream(chunk);
    this.earlyData.length = 0;
    if (this.downstreamEnded) up.end();
    if (this.conn.socket.isPaused()) this.resumeDownstream();
    this.recordIstioOpen();
  }

  private onDownstreamData(chunk: Buffer): void {
    this.touch();
    this.conn.info.bytesReceived += chunk.length;
    this.config.stats.rxBytes.add(chunk.length);
    if (!this.upstream) {
      this.earlyData.push(chunk);
      const buffered = this.earlyData.reduce((n, b) => n + b.length, 0);
      if (buffered >= this.conn.bufferLimitBytes) this.pauseDownstream();
      return;
    }
    this.writeUpstream(chunk);
  }

  private writeUpstream(chunk: Buffer): void {
    const up = (this.upstream as PooledConnection).socket;
    if (!up.write(chunk)) this.pauseDownstream();
  }

  private onUpstreamData(chunk: Buffer): void {
    this.touch();
    this.conn.info.bytesSent += chunk.length;
    this.config.stats.txBytes.add(chunk.length);
    if (!this.conn.socket.write(chunk)) (this.upstream as PooledConnection).socket.pause();
  }

  private pauseDownstream(): void {
    if (this.conn.socket.isPaused()) return;
    this.conn.socket.pause();
    this.config.stats.pausedReading.inc();
  }

  private resumeDownstream(): void {
    if (!this.conn.socket.isPaused()) return;
    this.conn.socket.resume();
    this.config.stats.resumedReading.inc();
  }

  private resumeUpstream(): void {
    this.upstream?.socket.resume();
  }

  private onDownstreamEnd(): void {
    this.downstreamEnded = true;
    if (this.upstream) this.upstream.socket.end();
    this.maybeFinish();
  }

  private onUpstreamEnd(): void {
    this.upstreamEnded = true;
    this.conn.socket.end();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.downstreamEnded && this.upstreamEnded) this.finish();
  }

  private onDownstreamClose(): void {
    if (!this.closed && !this.downstreamEnded) this.conn.info.setResponseFlag(ResponseFlag.DownstreamConnectionTermination);
    this.downstreamEnded = true;
    if (this.upstream && !this.upstream.socket.destroyed) {
      // Let the upstream flush what we already wrote.
      if (this.upstream.socket.writableLength > 0) this.config.stats.upstreamFlush.inc();
      this.upstream.socket.end();
    }
    this.finish();
  }

  private onUpstreamClose(): void {
    if (!this.upstreamEnded && !this.closed) this.conn.info.setResponseFlag(ResponseFlag.UpstreamConnectionTermination);
    this.upstreamEnded = true;
    if (!this.conn.socket.destroyed) this.conn.socket.end();
    this.finish();
  }

  private touch(): void {
    if (this.idleList) this.idleList.schedule(this.deadline);
  }

  /** Ends the session abruptly (timeouts, connect failure, drain deadline). */
  private terminate(reason: string): void {
    this.conn.info.connectionTerminationDetails ||= reason;
    this.pendingCancel?.cancel();
    this.conn.socket.destroy();
    // Releasing as not reusable makes the pool close the upstream socket (and count a local close).
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline.cancel();
    if (this.durationTimer) clearTimeout(this.durationTimer);
    const info = this.conn.info;
    info.durationMs = performance.now() - info.startMonotonicMs;
    if (this.upstream && this.pool) {
      const pooled = this.upstream;
      const pool = this.pool;
      const release = (): void => pool.release(pooled, false);
      if (pooled.socket.destroyed || this.conn.socket.destroyed) release();
      else pooled.socket.once('close', release);
    }
    for (const logger of this.config.accessLoggers) logger.log({ info });
    this.recordIstioClose();
  }

  private recordIstioOpen(): void {
    this.istioRecorded = true;
    this.config.ctx.istio.tcpOpened(this.conn.info);
  }

  private recordIstioClose(): void {
    if (!this.istioRecorded) return;
    this.config.ctx.istio.tcpClosed(this.conn.info);
  }
}

