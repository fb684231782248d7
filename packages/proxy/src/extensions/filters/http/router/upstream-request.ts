import type { HeaderMap } from '../../../../interfaces/header-map.js';
import type {
  HttpStreamPool,
  PendingStream,
  UpstreamResetReason,
  UpstreamStream,
  UpstreamStreamCallbacks,
  UpstreamStreamReadyHandler,
} from '../../../../interfaces/upstream-stream.js';
import { Deadline, type DeadlineOwner } from '../../../../server/deadline-queue.js';
import { monotonicNow } from '../../../../server/io-scope.js';
import type { ClusterResources } from '../../../../upstream/circuit-breakers.js';
import type { Cluster } from '../../../../upstream/cluster.js';
import type { Host } from '../../../../upstream/host.js';

/** What an attempt reports to the router; `attempt` tells stale attempts (already abandoned) apart. */
export interface AttemptOwner {
  onAttemptReady(attempt: UpstreamRequest): void;
  onAttemptHeaders(attempt: UpstreamRequest, status: number, headers: HeaderMap, endStream: boolean): void;
  onAttemptData(attempt: UpstreamRequest, chunk: Buffer, endStream: boolean): void;
  onAttemptTrailers(attempt: UpstreamRequest, trailers: HeaderMap): void;
  onAttemptReset(attempt: UpstreamRequest, reason: UpstreamResetReason, detail: string): void;
  onAttemptWritable(attempt: UpstreamRequest): void;
  onPerTryTimeout(attempt: UpstreamRequest): void;
}

/**
 * One try of a request against one host (Envoy's UpstreamRequest): owns the upstream stream, the per-try timeout,
 * and the per-attempt stats and circuit-breaker slot.
 */
export class UpstreamRequest implements UpstreamStreamCallbacks, UpstreamStreamReadyHandler, DeadlineOwner {
  readonly deadline = new Deadline(this);

  stream: UpstreamStream | undefined;
  /** Request body chunks (index into the router's list) already written on this attempt. */
  sentChunks = 0;
  requestSent = false;
  readonly startMs: number;
  private pending: PendingStream | null = null;
  private finished = false;

  constructor(
    private readonly owner: AttemptOwner,
    readonly cluster: Cluster,
    readonly host: Host,
    private readonly resources: ClusterResources,
  ) {
    this.startMs = monotonicNow();
    const stats = cluster.stats;
    stats.upstream_rq_total.inc();
    stats.upstream_rq_active.inc();
    host.stats.rq_total++;
    host.stats.rq_active++;
    host.activeRequests++;
    resources.requests.inc();
  }

  /** `fresh`: on a newly opened connection (a re-send after the keep-alive race). */
  start(pool: HttpStreamPool, fresh: boolean): void {
    this.pending = pool.newStream(this, this, fresh);
  }

  onStreamReady(stream: UpstreamStream): void {
    this.pending = null;
    if (this.finished) {
      stream.reset();
      return;
    }
    this.stream = stream;
    this.owner.onAttemptReady(this);
  }

  onStreamFailure(reason: UpstreamResetReason, detail: string): void {
    this.pending = null;
    if (!this.finished) this.owner.onAttemptReset(this, reason, detail);
  }

  onUpstreamHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    this.owner.onAttemptHeaders(this, status, headers, endStream);
  }

  onUpstreamData(chunk: Buffer, endStream: boolean): void {
    this.owner.onAttemptData(this, chunk, endStream);
  }

  onUpstreamTrailers(trailers: HeaderMap): void {
    this.owner.onAttemptTrailers(this, trailers);
  }

  onUpstreamReset(reason: UpstreamResetReason, detail: string): void {
    this.owner.onAttemptReset(this, reason, detail);
  }

  onUpstreamWritable(): void {
    this.owner.onAttemptWritable(this);
  }

  onDeadline(): void {
    this.owner.onPerTryTimeout(this);
  }

  /** Ends the attempt's accounting; `abandon` also resets the upstream stream (or cancels the wait for one). */
  finish(abandon: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.deadline.cancel();
    const stats = this.cluster.stats;
    const host = this.host;
    stats.upstream_rq_active.dec();
    host.stats.rq_active--;
    host.activeRequests--;
    this.resources.requests.dec();
    stats.upstream_rq_time.record(monotonicNow() - this.startMs);
    if (!abandon) return;
    this.pending?.cancel();
    this.pending = null;
    const s = this.stream;
    this.stream = undefined;
    s?.reset();
  }

  get isFinished(): boolean {
    return this.finished;
  }
}
