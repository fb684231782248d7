import type net from 'node:net';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import type { CompiledListenerFilter, ListenerFilterCallbacks, ListenerFilterWait, MutableConnectionMeta } from './listener-filter-registry.js';

export interface AcceptOwner {
  /** Listener filters are done: pick the filter chain (or close when `ok` is false). */
  onListenerFiltersDone(conn: AcceptingConnection, ok: boolean, peerClosed: boolean): void;
  /** `listener_filters_timeout` fired. */
  onListenerFiltersTimeout(conn: AcceptingConnection): void;
}

/** A connection running its listener filters, one after the other, under the listener filter timeout. */
export class AcceptingConnection implements ListenerFilterCallbacks, DeadlineOwner {
  readonly deadline = new Deadline(this);
  private index = 0;
  private wait: ListenerFilterWait | undefined;
  private finished = false;

  constructor(
    readonly socket: net.Socket,
    readonly meta: MutableConnectionMeta,
    private readonly filters: readonly CompiledListenerFilter[],
    private readonly owner: AcceptOwner,
    private readonly timeout: DeadlineList | undefined,
    /** Monotonic accept time (the connection's start for stats and logs). */
    readonly acceptedAt: number,
  ) {}

  start(): void {
    this.timeout?.schedule(this.deadline);
    this.runNext();
  }

  next(ok: boolean): void {
    if (this.finished) return;
    this.wait = undefined;
    if (!ok) {
      this.finish(false, false);
      return;
    }
    this.index++;
    this.runNext();
  }

  onDeadline(): void {
    if (this.finished) return;
    this.owner.onListenerFiltersTimeout(this);
  }

  peerClosed(): void {
    if (this.finished) return;
    this.wait = undefined;
    this.finish(false, true);
  }

  /** The timeout fired and the listener continues anyway: stop the waiting filter, go on with what is known. */
  continueAfterTimeout(): void {
    if (this.finished) return;
    this.wait?.abort();
    this.wait = undefined;
    this.finish(true, false);
  }

  /** Closed (timeout, listener close). */
  abandon(): void {
    if (this.finished) return;
    this.wait?.abort();
    this.finished = true;
    this.deadline.cancel();
    this.socket.destroy();
  }

  private runNext(): void {
    while (!this.finished && this.index < this.filters.length) {
      const f = this.filters[this.index] as CompiledListenerFilter;
      const idx = this.index;
      const wait = f.filter.onAccept(this);
      // A filter that answered synchronously already advanced `index` through next().
      if (this.index !== idx || this.finished) return;
      this.wait = wait;
      if (wait !== undefined) return;
      this.index++;
    }
    if (!this.finished) this.finish(true, false);
  }

  private finish(ok: boolean, peerClosed: boolean): void {
    this.finished = true;
    this.deadline.cancel();
    this.owner.onListenerFiltersDone(this, ok, peerClosed);
  }
}
