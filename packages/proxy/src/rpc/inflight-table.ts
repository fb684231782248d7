/**
 * The requests waiting for their response on one upstream connection, by the ids the proxy assigned there. Ids are
 * ours and handed out in sequence, so the table is an array indexed by the id's low bits (kept at most half full,
 * doubling when needed): a set, a lookup and a delete are one array access each, not hash-map operations.
 */
export interface HasUpstreamId {
  readonly upstreamId: number;
}

export class InflightTable<T extends HasUpstreamId> {
  private slots: (T | undefined)[] = new Array<T | undefined>(64).fill(undefined);
  private mask = 63;
  size = 0;

  get(id: number): T | undefined {
    const r = this.slots[id & this.mask];
    return r !== undefined && r.upstreamId === id ? r : undefined;
  }

  /** Whether `id` cannot be handed out now (its slot is taken). */
  taken(id: number): boolean {
    return this.slots[id & this.mask] !== undefined;
  }

  /** Adds `req` under `req.upstreamId`, whose slot must be free (see taken). */
  add(req: T): void {
    if (this.size * 2 >= this.slots.length) this.grow();
    this.slots[req.upstreamId & this.mask] = req;
    this.size++;
  }

  delete(id: number): boolean {
    const i = id & this.mask;
    const r = this.slots[i];
    if (r === undefined || r.upstreamId !== id) return false;
    this.slots[i] = undefined;
    this.size--;
    return true;
  }

  /** Empties the table, returning what it held. */
  drain(): T[] {
    const out: T[] = [];
    for (const r of this.slots) if (r !== undefined) out.push(r);
    this.slots.fill(undefined);
    this.size = 0;
    return out;
  }

  private grow(): void {
    // Ids in distinct slots keep distinct slots under a wider mask.
    const old = this.slots;
    this.slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const r of old) if (r !== undefined) this.slots[r.upstreamId & this.mask] = r;
  }
}
