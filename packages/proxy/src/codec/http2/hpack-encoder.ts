import { DynamicTable, ENTRY_OVERHEAD } from './hpack-dynamic-table.js';
import { huffmanEncode, huffmanLength } from './hpack-huffman.js';
import { writeInt } from './hpack-integer.js';
import { STATIC_COUNT, STATIC_FIELD_INDEX, STATIC_NAME_INDEX } from './hpack-static-table.js';
import type { WriteBuffer } from './write-buffer.js';

/** Values that differ on nearly every message: indexing them would only churn the table. */
const NOT_INDEXED = new Set([':path', 'content-length', 'date', 'etag', 'last-modified', 'age', 'x-request-id', 'if-modified-since', 'if-none-match', 'location', 'set-cookie', 'grpc-timeout', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-upstream-service-time']);
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
  /**
   * Sequence number of the newest dynamic entry per name → value (fields) and per name (names). Nested rather than
   * keyed by "name\0value": building that key cost a concatenation, a flattening and a hash per field.
   */
  private readonly fields = new Map<string, Map<string, number>>();
  private readonly names = new Map<string, number>();
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
      const values = this.fields.get(name);
      if (values !== undefined && values.get(value) === seq) {
        values.delete(value);
        if (values.size === 0) this.fields.delete(name);
      }
      if (this.names.get(name) === seq) this.names.delete(name);
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
    const staticFull = STATIC_FIELD_INDEX.get(name)?.get(value);
    if (staticFull !== undefined) {
      writeInt(out, staticFull, 7, 0x80);
      return;
    }
    const table = this.table;
    if (this.stateless) {
      const nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
      writeInt(out, nameIndex, 4, neverIndex || sensitive(name, value) ? 0x10 : 0);
      if (nameIndex === 0) writeString(out, name);
      writeString(out, value);
      return;
    }
    // A never-indexed field is written as a literal each time, even if an earlier copy of it was indexed.
    const seq = neverIndex ? undefined : this.fields.get(name)?.get(value);
    if (seq !== undefined) {
      const i = table.indexOfSeq(seq);
      if (i >= 0) {
        writeInt(out, STATIC_COUNT + 1 + i, 7, 0x80);
        return;
      }
    }
    let nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
    if (nameIndex === 0) {
      const nseq = this.names.get(name);
      const i = nseq === undefined ? -1 : table.indexOfSeq(nseq);
      if (i >= 0) nameIndex = STATIC_COUNT + 1 + i;
    }
    const never = neverIndex || sensitive(name, value);
    const index = !never && !NOT_INDEXED.has(name) && name.length + value.length + ENTRY_OVERHEAD <= (table.maxSize * 3) >> 2;
    if (index) writeInt(out, nameIndex, 6, 0x40);
    else writeInt(out, nameIndex, 4, never ? 0x10 : 0);
    if (nameIndex === 0) writeString(out, name);
    writeString(out, value);
    if (index) {
      table.add(name, value);
      const s = table.inserted - 1;
      if (table.indexOfSeq(s) >= 0) {
        let values = this.fields.get(name);
        if (values === undefined) this.fields.set(name, (values = new Map()));
        values.set(value, s);
        this.names.set(name, s);
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
