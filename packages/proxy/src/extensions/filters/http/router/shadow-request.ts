import type { HeaderMap } from '../../../../interfaces/header-map.js';
import type {
  PendingStream,
  UpstreamRequestLine,
  UpstreamResetReason,
  UpstreamStream,
  UpstreamStreamCallbacks,
  UpstreamStreamReadyHandler,
} from '../../../../interfaces/upstream-stream.js';
import { Deadline, type DeadlineOwner, type DeadlineQueues } from '../../../../server/deadline-queue.js';
import { monotonicNow } from '../../../../server/io-scope.js';
import type { Cluster } from '../../../../upstream/cluster.js';
import type { Host } from '../../../../upstream/host.js';
import type { HttpRequest } from '../../../../interfaces/http-filter.js';
import { shadowAuthority, type MirrorPolicy } from '../../../../router/mirror-policy.js';
import type { HttpFilterFactoryContext } from '../../../../http/http-filter-registry.js';

const EMPTY = Buffer.alloc(0);

/**
 * A fire-and-forget copy of a request (request mirroring, Envoy's shadow writer). Its response is read and thrown
 * away; it never slows or fails the primary request: body it cannot send yet is held up to a limit, past which the
 * shadow is abandoned. Bounded by the route timeout like the primary.
 */
export class ShadowRequest implements UpstreamStreamCallbacks, UpstreamStreamReadyHandler, DeadlineOwner {
  readonly deadline = new Deadline(this);

  private stream: UpstreamStream | undefined;
  private pending: PendingStream | null = null;
  private held: Buffer[] | undefined = [];
  private heldBytes = 0;
  private trailers: HeaderMap | undefined;
  private ended = false;
  private done = false;
  private readonly startMs = monotonicNow();

  constructor(
    private readonly cluster: Cluster,
    private readonly host: Host,
    private readonly line: UpstreamRequestLine,
    private readonly headers: HeaderMap,
    private readonly bufferLimit: number,
    timeoutMs: number,
    deadlines: DeadlineQueues,
  ) {
    const stats = cluster.stats;
    stats.upstream_rq_total.inc();
    stats.upstream_rq_active.inc();
    host.stats.rq_total++;
    host.stats.rq_active++;
    host.activeRequests++;
    if (timeoutMs > 0) deadlines.list(timeoutMs).schedule(this.deadline);
    this.pending = cluster.httpStreamPool(host).newStream(this, this);
  }

  /** Body of the primary request, as it arrives. */
  onBody(chunk: Buffer, endStream: boolean): void {
    if (this.done) return;
    if (endStream) this.ended = true;
    const s = this.stream;
    if (s !== undefined && this.held === undefined) {
      s.encodeData(chunk, endStream);
      return;
    }
    if (chunk.length > 0) {
      (this.held ??= []).push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > this.bufferLimit) {
        this.cluster.stats.retry_or_shadow_abandoned.inc();
        this.end(true);
        return;
      }
    }
    if (s !== undefined) this.flush(s);
  }

  onTrailers(trailers: HeaderMap): void {
    if (this.done) return;
    this.ended = true;
    this.trailers = trailers;
    if (this.stream !== undefined) this.flush(this.stream);
  }

  onStreamReady(stream: UpstreamStream): void {
    this.pending = null;
    if (this.done) {
      stream.reset();
      return;
    }
    this.stream = stream;
    const noBody = this.ended && this.trailers === undefined && (this.held === undefined || this.held.length === 0);
    stream.encodeHeaders(this.line, this.headers, noBody);
    if (noBody) this.held = undefined;
    else this.flush(stream);
  }

  private flush(s: UpstreamStream): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (let i = 0; i < held.length; i++) {
      s.encodeData(held[i] as Buffer, this.ended && this.trailers === undefined && i === held.length - 1);
    }
    if (this.ended) {
      if (this.trailers !== undefined) s.encodeTrailers(this.trailers);
      else if (held.length === 0) s.encodeData(EMPTY, true);
    }
  }

  onStreamFailure(_reason: UpstreamResetReason, _detail: string): void {
    this.pending = null;
    this.end(false);
  }

  onUpstreamHeaders(status: number, _headers: HeaderMap, endStream: boolean): void {
    const cs = this.cluster.stats;
    cs.rqCode(status).inc();
    cs.rqClass(status).inc();
    cs.upstream_rq_completed.inc();
    if (endStream) this.end(false);
  }

  onUpstreamData(_chunk: Buffer, endStream: boolean): void {
    if (endStream) this.end(false);
  }

  onUpstreamTrailers(_trailers: HeaderMap): void {
    this.end(false);
  }

  onUpstreamReset(_reason: UpstreamResetReason, _detail: string): void {
    this.end(false);
  }

  onUpstreamWritable(): void {
    // Nothing waits on the shadow's flow control.
  }

  onDeadline(): void {
    this.cluster.stats.upstream_rq_timeout.inc();
    this.end(true);
  }

  private end(abandon: boolean): void {
    if (this.done) return;
    this.done = true;
    this.deadline.cancel();
    this.held = undefined;
    const stats = this.cluster.stats;
    stats.upstream_rq_active.dec();
    this.host.stats.rq_active--;
    this.host.activeRequests--;
    stats.upstream_rq_time.record(monotonicNow() - this.startMs);
    if (!abandon) return;
    this.pending?.cancel();
    this.pending = null;
    const s = this.stream;
    this.stream = undefined;
    s?.reset();
  }
}

/**
 * Starts the mirrors of a request (fire and forget). A mirror that cannot start (no cluster, no healthy host) is
 * skipped silently, as in Envoy. Returns undefined when nothing was started.
 */
export function startShadows(
  policies: readonly MirrorPolicy[],
  req: HttpRequest,
  random: number,
  hash: number | undefined,
  ctx: HttpFilterFactoryContext,
  bufferLimit: number,
  timeoutMs: number,
  endStream: boolean,
): ShadowRequest[] | undefined {
  let out: ShadowRequest[] | undefined;
  for (const p of policies) {
    if (p.fraction !== undefined && !p.fraction.enabled(ctx.runtime, random)) continue;
    const name = p.cluster !== '' ? p.cluster : req.headers.get(p.clusterHeader);
    const cluster = name === undefined ? undefined : ctx.clusterManager.get(name);
    const host = cluster?.chooseHost(hash === undefined ? undefined : { hash });
    if (cluster === undefined || host === undefined) continue;
    const headers = req.headers.clone();
    const authority = p.appendShadowSuffix ? shadowAuthority(req.authority) : req.authority;
    headers.set('host', authority);
    const line = { method: req.method, path: req.path, authority, scheme: req.scheme };
    const shadow = new ShadowRequest(cluster, host, line, headers, bufferLimit, timeoutMs, ctx.deadlines);
    if (endStream) shadow.onBody(EMPTY, true);
    (out ??= []).push(shadow);
  }
  return out;
}
