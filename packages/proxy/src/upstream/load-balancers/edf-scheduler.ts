interface Entry<T> {
  deadline: number;
  order: number;
  host: T;
}

/**
 * Earliest-deadline-first scheduler (Envoy's EdfScheduler): each host is due every 1/weight; the earliest deadline is
 * picked and re-added. Over any period of sum(weights) picks from a fresh start each host is picked exactly `weight`
 * times. Picking reuses the heap entries, so it allocates nothing.
 */
export class EdfScheduler<T> {
  private readonly heap: Entry<T>[] = [];
  private order = 0;

  constructor(
    hosts: readonly T[],
    private readonly weightOf: (h: T) => number,
  ) {
    for (const host of hosts) {
      const w = weightOf(host);
      this.heap.push({ deadline: 1 / w, order: this.order++, host });
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Picks the earliest deadline and re-adds it with its current weight. */
  pickAndAdd(): T | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const w = this.weightOf(top.host);
    top.deadline += 1 / w;
    top.order = this.order++;
    this.siftDown(0);
    return top.host;
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as Entry<T>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(heap[r] as Entry<T>, heap[l] as Entry<T>)) c = r;
      if (!this.less(heap[c] as Entry<T>, item)) break;
      heap[i] = heap[c] as Entry<T>;
      i = c;
    }
    heap[i] = item;
  }
}
