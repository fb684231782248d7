import type { RpcFrame } from '../interfaces/rpc-codec.js';
import { Deadline, type DeadlineOwner } from '../server/deadline-queue.js';
import { randomUint32 } from '../upstream/load-balancers/base.js';
import type { Cluster } from '../upstream/cluster.js';
import type { RpcDownstream } from './rpc-request.js';
import type { RpcRoute } from './rpc-route.js';
import { muxPoolFor, type MuxRequest, type RpcMuxConnection } from './upstream-mux.js';

/** A mirrored copy of a request: sent to the mirror cluster, its response and failures ignored. */
class ShadowRequest implements MuxRequest, DeadlineOwner {
  readonly deadline = new Deadline(this);
  muxConn: RpcMuxConnection | undefined = undefined;
  upstreamId = 0;
  readonly setHeaders = undefined;
  /** The request itself is sent too. */
  readonly sendsOnce = false;

  constructor(
    readonly frame: RpcFrame,
    private readonly cluster: Cluster,
  ) {}

  onUpstreamSent(): void {
    if (this.frame.oneway) this.done();
  }

  onUpstreamResponse(): void {
    this.done();
  }

  onUpstreamFailure(): void {
    this.done();
  }

  onDeadline(): void {
    this.muxConn?.cancel(this);
    this.cluster.stats.upstream_rq_timeout.inc();
    this.done();
  }

  private done(): void {
    this.deadline.cancel();
  }
}

/** Sends a copy of `frame` to each mirror policy's cluster that the policy's fraction selects. */
export function startMirrors(ds: RpcDownstream, route: RpcRoute, frame: RpcFrame, timeoutMs: number): void {
  const cfg = ds.config;
  for (const m of route.mirrors) {
    if (m.fraction !== undefined && !m.fraction.enabled(cfg.ctx.runtime, randomUint32())) continue;
    const cluster = cfg.ctx.clusterManager.get(m.cluster);
    if (cluster === undefined) continue;
    const host = cluster.chooseHost(undefined);
    if (host === undefined) continue;
    const shadow = new ShadowRequest(frame, cluster);
    if (timeoutMs > 0 && !frame.oneway) cfg.ctx.deadlines.schedule(shadow.deadline, timeoutMs);
    cluster.stats.upstream_rq_total.inc();
    const pool = muxPoolFor(cluster, cluster.pool(host, 'rpc'), ds.codecDef, cfg.mux, cfg.onUpstreamHeartbeat);
    pool.send(shadow);
  }
}
