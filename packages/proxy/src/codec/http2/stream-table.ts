/**
 * Open streams by id, for a connection that lives long and opens and closes streams constantly. Not a Map: V8
 * allocates a rehashed Map table in the generation of the table it replaces, so once a long-lived Map's table is in
 * the old generation, every rehash (Map churn rehashes every few dozen operations) leaves a dead old table still
 * pointing at the streams it held. The scavenger treats those pointers as roots until the next full collection, so
 * finished requests survive and get promoted wholesale (measured: 2-9 MB kept per scavenge, 8-14 ms scavenges under
 * HTTP/2 load; 0.2 MB and 0.5 ms without). Here slots are cleared on delete (linear probing, backward-shift
 * deletion: no tombstones, no rehash) and a grown table's old arrays are emptied, so nothing dead points at a stream.
 */
export class StreamTable<V> {
  private ids: number[];
  private vals: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor(capacity = 16) {
    let n = 8;
    while (n < capacity * 2) n *= 2;
    this.ids = new Array<number>(n).fill(0);
    this.vals = new Array<V | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  get(id: number): V | undefined {
    const ids = this.ids;
    for (let i = slotOf(id, this.mask); ; i = (i + 1) & this.mask) {
      const k = ids[i] as number;
      if (k === id) return this.vals[i];
      if (k === 0) return undefined;
    }
  }

  /** `id` must be a positive stream id (0 marks an empty slot). */
  set(id: number, value: V): void {
    const ids = this.ids;
    let i = slotOf(id, this.mask);
    for (; ; i = (i + 1) & this.mask) {
      const k = ids[i] as number;
      if (k === id) {
        this.vals[i] = value;
        return;
      }
      if (k === 0) break;
    }
    ids[i] = id;
    this.vals[i] = value;
    // At most half full, so probes stay short and an empty slot always ends them.
    if (++this.count * 2 > ids.length) this.grow();
  }

  delete(id: number): boolean {
    const ids = this.ids;
    const vals = this.vals;
    const mask = this.mask;
    let i = slotOf(id, mask);
    for (; ; i = (i + 1) & mask) {
      const k = ids[i] as number;
      if (k === id) break;
      if (k === 0) return false;
    }
    // Backward shift: pull later entries of the probe run into the gap so no tombstone is needed.
    let gap = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = ids[j] as number;
      if (k === 0) break;
      const home = slotOf(k, mask);
      // Movable when its home is not in the cyclic range (gap, j].
      if (((j - home) & mask) >= ((j - gap) & mask)) {
        ids[gap] = k;
        vals[gap] = vals[j];
        gap = j;
      }
    }
    ids[gap] = 0;
    vals[gap] = undefined;
    this.count--;
    return true;
  }

  /** The values, copied: safe to iterate while streams open and close. */
  values(): V[] {
    const out: V[] = [];
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  private grow(): void {
    const oldIds = this.ids;
    const oldVals = this.vals;
    const n = oldIds.length * 2;
    this.ids = new Array<number>(n).fill(0);
    this.vals = new Array<V | undefined>(n).fill(undefined);
    this.mask = n - 1;
    this.count = 0;
    for (let i = 0; i < oldIds.length; i++) {
      const id = oldIds[i] as number;
      if (id !== 0) this.set(id, oldVals[i] as V);
    }
    // The old arrays may be in the old generation: empty them so they point at nothing once dropped.
    oldVals.fill(undefined);
  }
}

/**
 * Stream ids of one side share their parity and are dense: drop the parity bit and multiply by an odd constant, a
 * bijection modulo any power of two, so any run of consecutive ids as long as the table lands in distinct slots.
 */
function slotOf(id: number, mask: number): number {
  return Math.imul(id >>> 1, 0x9e3779b1) & mask;
}
