/**
 * An ordered multimap of HTTP headers with lower-case names, as Envoy keeps them. Parallel arrays rather than a
 * Map: requests carry ~10 headers, so a linear scan beats hashing and keeps order and duplicates.
 */
export class HeaderMap {
  readonly names: string[] = [];
  readonly values: string[] = [];
  /** Names an HTTP/2 peer sent never-indexed (RFC 7541 §7.1.3): re-encoded never-indexed on the next HTTP/2 hop. */
  neverIndexed: readonly string[] | undefined = undefined;

  get size(): number {
    return this.names.length;
  }

  /** First value of `name` (lower-case), or undefined. */
  get(name: string): string | undefined {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.values[i];
    return undefined;
  }

  /** All values of `name` joined by "," as RFC 9110 allows (cookie excepted: use getAll). */
  getJoined(name: string): string | undefined {
    let out: string | undefined;
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== name) continue;
      out = out === undefined ? this.values[i] : `${out},${this.values[i]}`;
    }
    return out;
  }

  getAll(name: string): string[] {
    const out: string[] = [];
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) out.push(this.values[i] as string);
    return out;
  }

  has(name: string): boolean {
    return this.names.indexOf(name) !== -1;
  }

  /** Appends a value; `name` must already be lower-case. */
  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }

  /** Replaces every value of `name` with one value. */
  set(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i === -1) {
      this.add(name, value);
      return;
    }
    this.values[i] = value;
    this.removeFrom(name, i + 1);
  }

  /** Sets only when absent; returns whether it was set. */
  setIfAbsent(name: string, value: string): boolean {
    if (this.has(name)) return false;
    this.add(name, value);
    return true;
  }

  /** Removes every value of `name`; returns how many were removed. */
  remove(name: string): number {
    return this.removeFrom(name, 0);
  }

  /** Removes entries whose name satisfies `predicate`. */
  removeIf(predicate: (name: string) => boolean): void {
    let w = 0;
    const names = this.names;
    const values = this.values;
    for (let r = 0; r < names.length; r++) {
      const n = names[r] as string;
      if (predicate(n)) continue;
      names[w] = n;
      values[w] = values[r] as string;
      w++;
    }
    truncate(names, values, w);
  }

  forEach(fn: (name: string, value: string) => void): void {
    for (let i = 0; i < this.names.length; i++) fn(this.names[i] as string, this.values[i] as string);
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.names.push(...this.names);
    copy.values.push(...this.values);
    copy.neverIndexed = this.neverIndexed;
    return copy;
  }

  /** Byte size of the header block as HTTP/1 would write it (for stats and limits). */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.names.length; i++) n += (this.names[i] as string).length + (this.values[i] as string).length + 4;
    return n;
  }

  static from(entries: Iterable<readonly [string, string]>): HeaderMap {
    const map = new HeaderMap();
    for (const [k, v] of entries) map.add(k.toLowerCase(), v);
    return map;
  }

  private removeFrom(name: string, start: number): number {
    const names = this.names;
    // Usually there is nothing to remove: find the first match before moving anything.
    const first = names.indexOf(name, start);
    if (first === -1) return 0;
    let w = first;
    let removed = 0;
    const values = this.values;
    for (let r = first; r < names.length; r++) {
      const n = names[r] as string;
      if (n === name) {
        removed++;
        continue;
      }
      names[w] = n;
      values[w] = values[r] as string;
      w++;
    }
    truncate(names, values, w);
    return removed;
  }
}

/** Shrinks both arrays to `n` entries (pop() is much cheaper than the `length` setter for a few entries). */
function truncate(names: string[], values: string[], n: number): void {
  while (names.length > n) {
    names.pop();
    values.pop();
  }
}
