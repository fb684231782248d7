/** Per-entry overhead counted in the table size (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a ring of entries, newest first. Index 0 is the newest entry
 * (HPACK index 62). Entries are counted by `inserted`, so an encoder can remember where a field went.
 */
export class DynamicTable {
  private names: string[] = new Array<string>(16);
  private values: string[] = new Array<string>(16);
  private head = 0; // slot of the newest entry
  length = 0;
  size = 0;
  /** Entries ever inserted; the newest has sequence `inserted - 1`. */
  inserted = 0;
  /** Called with each evicted entry's sequence number, name and value. */
  onEvict: ((seq: number, name: string, value: string) => void) | undefined;

  constructor(public maxSize: number) {}

  name(i: number): string {
    return this.names[(this.head + i) & (this.names.length - 1)] as string;
  }

  value(i: number): string {
    return this.values[(this.head + i) & (this.names.length - 1)] as string;
  }

  /** The index (0-based, newest first) of the entry inserted with sequence `seq`, or -1 once evicted. */
  indexOfSeq(seq: number): number {
    const i = this.inserted - 1 - seq;
    return i >= 0 && i < this.length ? i : -1;
  }

  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      // Legal: an entry larger than the table empties it (§4.4).
      this.evictTo(0);
      this.inserted++;
      return;
    }
    this.evictTo(this.maxSize - size);
    this.inserted++;
    if (this.length === this.names.length) this.grow();
    const mask = this.names.length - 1;
    this.head = (this.head - 1) & mask;
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.length++;
    this.size += size;
  }

  setMaxSize(max: number): void {
    this.maxSize = max;
    this.evictTo(max);
  }

  private evictTo(target: number): void {
    const mask = this.names.length - 1;
    while (this.size > target && this.length > 0) {
      const slot = (this.head + this.length - 1) & mask;
      const name = this.names[slot] as string;
      const value = this.values[slot] as string;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      this.length--;
      this.onEvict?.(this.inserted - 1 - this.length, name, value);
    }
  }

  private grow(): void {
    const n = this.names.length;
    const names = new Array<string>(n * 2);
    const values = new Array<string>(n * 2);
    for (let i = 0; i < this.length; i++) {
      names[i] = this.name(i);
      values[i] = this.value(i);
    }
    this.names = names;
    this.values = values;
    this.head = 0;
  }
}
