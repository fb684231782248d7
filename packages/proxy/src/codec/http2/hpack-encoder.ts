import { latin1Write } from '../common/latin1.js';
import { DynamicTable, ENTRY_OVERHEAD } from './hpack-dynamic-table.js';
import { huffmanEncode, huffmanLength } from './hpack-huffman.js';
import { writeInt } from './hpack-integer.js';
import { STATIC_COUNT, STATIC_FIELD_INDEX, STATIC_NAME_INDEX } from './hpack-static-table.js';
import type { WriteBuffer } from './write-buffer.js';

/** Values that differ on nearly every message: indexing them would only churn the table. */
const NOT_INDEXED = new Set([':path', 'content-length', 'date', 'etag', 'last-modified', 'age', 'x-request-id', 'if-modified-since', 'if-none-match', 'location', 'set-cookie', 'grpc-timeout', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-upstream-service-time']);
/**
 * Volatile names whose values never repeat, so not worth caching (other volatile values do: a content-length, a date
 * within its second, a gRPC path).
 */
const UNIQUE_VALUES = new Set(['x-request-id']);
/** What is known of a header name before any connection: its static-table index and full entries, whether to index it. */
interface KnownName {
  readonly index: number;
  readonly values: Map<string, number> | undefined;
  readonly volatile: boolean;
  /** For a volatile name whose values repeat: its slot in an encoder's cache of the last field written, else -1. */
  readonly slot: number;
}
const KNOWN_NAMES = new Map<string, KnownName>();
let slots = 0;
for (const name of new Set([...STATIC_NAME_INDEX.keys(), ...NOT_INDEXED])) {
  const volatile = NOT_INDEXED.has(name);
  const slot = volatile && !UNIQUE_VALUES.has(name) ? slots++ : -1;
  KNOWN_NAMES.set(name, { index: STATIC_NAME_INDEX.get(name) ?? 0, values: STATIC_FIELD_INDEX.get(name), volatile, slot });
}
const SLOTS = slots;
/** A cached field is copied from a fixed buffer per slot; longer fields are encoded each time. */
const CACHED_FIELD_MAX = 64;

/** Most bytes a string literal takes beyond its length (the length prefix; Huffman is used only when shorter). */
const STRING_OVERHEAD = 6;
/** Most bytes a literal field takes beyond its name and value: the index prefix and two string prefixes. */
const FIELD_OVERHEAD = 3 * STRING_OVERHEAD;

/**
 * String literals of names that have no static index, Huffman-coded once per process: they do not depend on any
 * table. Bounded in count and length, as names come from traffic; other names are encoded each time.
 */
const NAME_LITERALS = new Map<string, Buffer>();
const NAME_LITERALS_MAX = 256;
const NAME_LITERAL_MAX_LENGTH = 64;

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
  /**
   * Per volatile slot: the value last written without indexing, and the field's bytes at slot * CACHED_FIELD_MAX
   * (valid while the value matches). Made on first use: most connections of a large fleet sit idle.
   */
  private lastValue: (string | undefined)[] | undefined = undefined;
  private lastField: Buffer | undefined = undefined;
  private lastLength: number[] | undefined = undefined;

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
    if (known !== undefined) {
      // A never-indexed field keeps that representation, even for a static entry (intermediaries: §6.2.3).
      const staticFull = neverIndex ? undefined : known.values?.get(value);
      if (staticFull !== undefined) {
        writeInt(out, staticFull, 7, 0x80);
        return;
      }
      // Volatile fields are literals without indexing, whatever the table holds: their bytes can be reused.
      if (known.slot >= 0 && !neverIndex) {
        this.volatileField(out, known, name, value);
        return;
      }
    }
    const table = this.table;
    if (this.stateless) {
      const nameIndex = known?.index ?? 0;
      writeInt(out, nameIndex, 4, neverIndex || sensitive(name, value) ? 0x10 : 0);
      if (nameIndex === 0) writeName(out, name);
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
    if (nameIndex === 0) writeName(out, name);
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

  /** A literal without indexing (static name index or literal name): the last such field's bytes when it repeats. */
  private volatileField(out: WriteBuffer, known: KnownName, name: string, value: string): void {
    const slot = known.slot;
    const values = (this.lastValue ??= new Array<string | undefined>(SLOTS).fill(undefined));
    const lengths = (this.lastLength ??= new Array<number>(SLOTS).fill(0));
    const bytes = (this.lastField ??= Buffer.alloc(SLOTS * CACHED_FIELD_MAX));
    const at = slot * CACHED_FIELD_MAX;
    if (values[slot] === value) {
      copyInto(out, bytes, at, lengths[slot] as number);
      return;
    }
    // Room for the whole field first: a slab that grew midway would move the bytes away from `start`.
    out.ensure(FIELD_OVERHEAD + name.length + value.length);
    const start = out.pos;
    writeInt(out, known.index, 4, 0);
    if (known.index === 0) writeName(out, name);
    writeString(out, value);
    const n = out.pos - start;
    if (n > CACHED_FIELD_MAX) {
      values[slot] = undefined;
      return;
    }
    const buf = out.buf;
    for (let i = 0; i < n; i++) bytes[at + i] = buf[start + i] as number;
    lengths[slot] = n;
    values[slot] = value;
  }
}

/**
 * Appends src[from, from + n): short runs by a loop, as a native copy's call costs more than a few bytes. Sources are
 * all Buffers, so the loop's loads stay monomorphic.
 */
function copyInto(out: WriteBuffer, src: Buffer, from: number, n: number): void {
  out.ensure(n);
  const buf = out.buf;
  let pos = out.pos;
  if (n > 64) {
    buf.set(src.subarray(from, from + n), pos);
    out.pos = pos + n;
    return;
  }
  for (let i = from, end = from + n; i < end; i++) buf[pos++] = src[i] as number;
  out.pos = pos;
}

/** A name as a string literal, from the process-wide cache when it is there. */
function writeName(out: WriteBuffer, name: string): void {
  const lit = NAME_LITERALS.get(name);
  if (lit !== undefined) {
    copyInto(out, lit, 0, lit.length);
    return;
  }
  out.ensure(STRING_OVERHEAD + name.length);
  const start = out.pos;
  writeString(out, name);
  if (NAME_LITERALS.size < NAME_LITERALS_MAX && name.length <= NAME_LITERAL_MAX_LENGTH) NAME_LITERALS.set(name, Buffer.from(out.buf.subarray(start, out.pos)));
}

/** The latin1 bytes of the string being written (grown on demand). */
let scratch = Buffer.allocUnsafe(256);

/** A string literal, Huffman-coded when that is shorter. */
function writeString(out: WriteBuffer, s: string): void {
  const n = s.length;
  if (n > scratch.length) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  const src = scratch;
  latin1Write(src, s);
  const h = huffmanLength(src, 0, n);
  if (h < n) {
    writeInt(out, h, 7, 0x80);
    out.ensure(h);
    out.pos = huffmanEncode(src, 0, n, out.buf, out.pos);
    return;
  }
  writeInt(out, n, 7, 0);
  copyInto(out, src, 0, n);
}
