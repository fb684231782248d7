import { enterIoScope, exitIoScope, monotonicNow } from './io-scope.js';

/**
 * Timeouts without a `setTimeout` per request. Most timeouts of one kind share a duration (route timeout, idle
 * timeout), so entries of the same duration expire in insertion order: a FIFO intrusive list per duration gives O(1)
 * schedule and cancel, and one Node timer per duration fires the head. Each owner (stream, connection, filter)
 * holds its Deadline node from birth, so scheduling allocates nothing.
 */

/** What a deadline ends: the stream, connection or filter that owns it. */
export interface DeadlineOwner {
  onDeadline(): void;
}

/**
 * One entry of a DeadlineList, held by its owner. Owners are many classes (streams, connections, filters); were they
 * the list nodes themselves, every link access in schedule/cancel would be megamorphic (~100 instructions each,
 * ~4k per proxied HTTP/2 call, measured). One node class keeps those accesses monomorphic.
 */
export class Deadline {
  prev: Deadline | null = null;
  next: Deadline | null = null;
  at = 0;
  list: DeadlineList | null = null;

  constructor(private readonly owner: DeadlineOwner) {}

  get armed(): boolean {
    return this.list !== null;
  }

  cancel(): void {
    if (this.list !== null) this.list.cancel(this);
  }

  fire(): void {
    this.owner.onDeadline();
  }
}

export type Clock = () => number;


export class DeadlineList {
  private head: Deadline | null = null;
  private tail: Deadline | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(
    readonly durationMs: number,
    private readonly now: Clock = monotonicNow,
  ) {}

  /** (Re)arms `node` to fire `durationMs` from now. */
  schedule(node: Deadline): void {
    const at = this.now() + this.durationMs;
    // Rescheduled within the same I/O scope (same cached clock): already in place.
    if (node.list === this && node.at === at) return;
    if (node.list !== null) node.list.cancel(node);
    node.at = at;
    node.list = this;
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    if (this.timer === null) this.arm(node.at);
  }

  cancel(node: Deadline): void {
    if (node.list !== this) return;
    const prev = node.prev;
    const next = node.next;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    node.prev = node.next = null;
    node.list = null;
    // The timer stays armed even when the list empties: when it fires early it finds nothing expired and re-arms
    // for the head, if any. Lists empty and refill constantly under load (every in-flight request finishing), and
    // a clearTimeout/setTimeout pair each time costs more than one spurious wake-up per duration.
  }

  get empty(): boolean {
    return this.head === null;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let node = this.head;
    while (node) {
      const next = node.next;
      node.prev = node.next = null;
      node.list = null;
      node = next;
    }
    this.head = this.tail = null;
  }

  private arm(at: number): void {
    this.timerAt = at;
    const delay = Math.max(0, at - this.now());
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    enterIoScope();
    try {
      const now = this.now();
      // Small slack: Node timers may fire a fraction of a millisecond early.
      while (this.head && this.head.at <= now + 1) {
        const node = this.head;
        this.cancel(node);
        node.fire();
      }
      if (this.head && this.timer === null) this.arm(this.head.at);
    } finally {
      exitIoScope();
    }
  }

  /** For tests and diagnostics. */
  get armedAt(): number {
    return this.timerAt;
  }
}

/** One DeadlineList per distinct duration. */
export class DeadlineQueues {
  private readonly lists = new Map<number, DeadlineList>();
  private lastList: DeadlineList | undefined;

  constructor(private readonly now: Clock = monotonicNow) {}

  list(durationMs: number): DeadlineList {
    // Per-request callers (route timeouts) nearly always ask for the same duration as last time.
    const last = this.lastList;
    if (last !== undefined && last.durationMs === durationMs) return last;
    let list = this.lists.get(durationMs);
    if (!list) {
      list = new DeadlineList(durationMs, this.now);
      this.lists.set(durationMs, list);
    }
    this.lastList = list;
    return list;
  }

  schedule(node: Deadline, durationMs: number): void {
    this.list(durationMs).schedule(node);
  }

  close(): void {
    for (const list of this.lists.values()) list.close();
    this.lists.clear();
    this.lastList = undefined;
  }
}

/** A process-wide instance for data-path timeouts. */
export const deadlines = new DeadlineQueues();

/** A standalone deadline for code that wants a callback-style timer from the queues (still one node class). */
export function deadlineTimer(callback: () => void): Deadline {
  return new Deadline({ onDeadline: callback });
}
