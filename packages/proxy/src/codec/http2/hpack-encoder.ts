import { DynamicTable, ENTRY_OVERHEAD } from './hpack-dynamic-table.js';
import { huffmanEncode, huffmanLength } from './hpack-huffman.js';
import { writeInt } from './hpack-integer.js';
import { STATIC_COUNT, STATIC_FIELD_INDEX, STATIC_NAME_INDEX } from './hpack-static-table.js';
import type { WriteBuffer } from './write-buffer.js';

/** Values that differ on nearly every message: indexing them would only churn the table. */
const NOT_INDEXED = new Set([':path', 'content-length', 'date', 'etag', 'last-modified', 'age', 'x-request-id', 'if-modified-since', 'if-none-match', 'location', 'set-cookie', 'grpc-timeout', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-upstream-service-time']);
/** What is known of a header name before any connection: its static-table index and full entries, whether to index it. */
interface KnownName {
  readonly index: number;
  readonly values: Map<string, number> | undefined;
  readonly volatile: boolean;
}
const KNOWN_NAMES = new Map<string, KnownName>();
for (const name of new Set([...STATIC_NAME_INDEX.keys(), ...NOT_INDEXED])) {
  KNOWN_NAMES.set(name, { index: STATIC_NAME_INDEX.get(name) ?? 0, values: STATIC_FIELD_INDEX.get(name), volatile: NOT_INDEXED.has(name) });
}

/** One name's newest entries in the dynamic table, as sequence numbers: per value, and for the name alone (-1: none). */
class DynamicName {
  readonly values = new Map<string, number>();
  seq = -1;
}

/** Credentials never enter a table, ours or an intermediary's (RFC 7541 §7.1.3); short cookies are guessable. */
function sensitive(name: string, value: string): boolean {
  return name === 'authorization' || name === 'proxy-authorization' || (name === 'cookie' && value.length < 20);
}

/**
 * HPACK encoding (RFC 7541): full matches from the static and dynamic tables as indexes, other fields as literals
 * (indexed unless listed above, never-indexed when sensitive or asked), strings Huffman-coded only when shorter.
 */
export class HpackEncoder {
  readonly table = new DynamicTable(4096);
  /** Per name, one lookup for everything the dynamic table holds of it (nested: no "name\0value" key per field). */
  private readonly dynamic = new Map<string, DynamicName>();
  /** Size updates owed at the start of the next block (§4.2): the smallest since the last block, then the final. */
  private minPending = -1;
  private pending = -1;
  /**
   * For a block sent later than others encoded after it (trailers waiting behind flow control): no dynamic table
   * reference or insertion, so the decoder's table state cannot depend on the order blocks go out.
   */
  stateless = false;

  constructor() {
    this.table.onEvict = (seq, name, value) => {
      const d = this.dynamic.get(name);
      if (d === undefined) return;
      if (d.values.get(value) === seq) d.values.delete(value);
      if (d.seq === seq) d.seq = -1;
      if (d.seq === -1 && d.values.size === 0) this.dynamic.delete(name);
    };
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE; we use at most 4096 of it. */
  setPeerMaxTableSize(n: number): void {
    const size = Math.min(n, 4096);
    if (size === this.table.maxSize && this.pending < 0) return;
    this.table.setMaxSize(size);
    this.minPending = this.minPending < 0 ? size : Math.min(this.minPending, size);
    this.pending = size;
  }

  /** Call once before the fields of each block. */
  beginBlock(out: WriteBuffer): void {
    if (this.pending < 0 || this.stateless) return;
    if (this.minPending < this.pending) writeInt(out, this.minPending, 5, 0x20);
    writeInt(out, this.pending, 5, 0x20);
    this.pending = this.minPending = -1;
  }

  encode(out: WriteBuffer, name: string, value: string, neverIndex = false): void {
    const known = KNOWN_NAMES.get(name);
    const staticFull = known?.values?.get(value);
    if (staticFull !== undefined) {
      writeInt(out, staticFull, 7, 0x80);
      return;
    }
    const table = this.table;
    if (this.stateless) {
      const nameIndex = known?.index ?? 0;
      writeInt(out, nameIndex, 4, neverIndex || sensitive(name, value) ? 0x10 : 0);
      if (nameIndex === 0) writeString(out, name);
      writeString(out, value);
      return;
    }
    let dyn = this.dynamic.get(name);
    // A never-indexed field is written as a literal each time, even if an earlier copy of it was indexed.
    const seq = neverIndex || dyn === undefined ? undefined : dyn.values.get(value);
    if (seq !== undefined) {
      const i = table.indexOfSeq(seq);
      if (i >= 0) {
        writeInt(out, STATIC_COUNT + 1 + i, 7, 0x80);
        return;
      }
    }
    let nameIndex = known?.index ?? 0;
    if (nameIndex === 0 && dyn !== undefined && dyn.seq >= 0) {
      const i = table.indexOfSeq(dyn.seq);
      if (i >= 0) nameIndex = STATIC_COUNT + 1 + i;
    }
    const never = neverIndex || sensitive(name, value);
    const index = !never && known?.volatile !== true && name.length + value.length + ENTRY_OVERHEAD <= (table.maxSize * 3) >> 2;
    if (index) writeInt(out, nameIndex, 6, 0x40);
    else writeInt(out, nameIndex, 4, never ? 0x10 : 0);
    if (nameIndex === 0) writeString(out, name);
    writeString(out, value);
    if (index) {
      table.add(name, value);
      const s = table.inserted - 1;
      if (table.indexOfSeq(s) >= 0) {
        // add() may have evicted this name's last entry and dropped its record.
        dyn = this.dynamic.get(name);
        if (dyn === undefined) this.dynamic.set(name, (dyn = new DynamicName()));
        dyn.values.set(value, s);
        dyn.seq = s;
      }
    }
  }
}

function writeString(out: WriteBuffer, s: string): void {
  const h = huffmanLength(s);
  if (h < s.length) {
    writeInt(out, h, 7, 0x80);
    out.ensure(h);
    out.pos = huffmanEncode(s, out.buf, out.pos);
  } else {
    writeInt(out, s.length, 7, 0);
    out.ensure(s.length);
    out.pos += out.buf.write(s, out.pos, 'latin1');
  }
}
