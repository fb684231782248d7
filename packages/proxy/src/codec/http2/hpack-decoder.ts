import { DynamicTable, ENTRY_OVERHEAD } from './hpack-dynamic-table.js';
import { huffmanDecodeBytes, huffmanDecoded } from './hpack-huffman.js';
import { readInt, type Cursor } from './hpack-integer.js';
import { STATIC_COUNT, STATIC_TABLE } from './hpack-static-table.js';
import { clearArray } from '../../server/clear-array.js';
import { validNameBytes, validValueBytes } from './field-bytes.js';

export const HPACK_OK = 0;
/** The block cannot be decoded: the connection's HPACK state is lost (COMPRESSION_ERROR, RFC 9113 §4.3). */
export const HPACK_COMPRESSION_ERROR = 1;
/** Decoded, but the field list exceeds the limit: the fields are dropped, the table stays in sync. */
export const HPACK_TOO_LARGE = 2;
export type HpackResult = 0 | 1 | 2;

/**
 * HPACK decoding (RFC 7541) of whole header blocks into a flat [name, value, ...] list (latin1 strings). Fields
 * sent as never-indexed are reported in `neverIndexed` (their names) so a proxy can forward them the same way.
 */
export class HpackDecoder {
  readonly table: DynamicTable;
  /** Names of the last block's never-indexed fields. */
  readonly neverIndexed: string[] = [];
  /**
   * After decode(): every field of the block is known to have a valid name (a lower-case token, or a pseudo-header
   * name left to the caller) and value (RFC 9113 §8.2.1), so the caller need not scan them again. Literals are
   * checked as their octets are decoded; table entries were checked when they came in as literals.
   */
  checked = false;
  /** A literal that failed the check entered the dynamic table: blocks referring to it could carry it unchecked. */
  private tainted = false;
  /** The literal being decoded failed the check. */
  private literalBad = false;
  private readonly c: Cursor = { pos: 0 };

  /** `maxTableSize`: our SETTINGS_HEADER_TABLE_SIZE, the ceiling for the peer's size updates. */
  constructor(private maxTableSize = 4096) {
    this.table = new DynamicTable(maxTableSize);
  }

  /** Our advertised SETTINGS_HEADER_TABLE_SIZE changed (acknowledged by the peer). */
  setMaxTableSize(n: number): void {
    this.maxTableSize = n;
    if (this.table.maxSize > n) this.table.setMaxSize(n);
  }

  /**
   * Decodes `src[start, end)`, appending fields to `out`. `maxListSize`: the HTTP/2 header list size limit
   * (name + value + 32 per field); `maxFields`: the count limit.
   */
  decode(src: Buffer, start: number, end: number, out: string[], maxListSize: number, maxFields: number): HpackResult {
    const c = this.c;
    const table = this.table;
    c.pos = start;
    clearArray(this.neverIndexed);
    let listSize = 0;
    let fields = 0;
    let tooLarge = false;
    let headerSeen = false;
    let bad = false;
    while (c.pos < end) {
      const b = src[c.pos] as number;
      let name: string | undefined;
      let value: string | undefined;
      if (b & 0x80) {
        // Indexed field (§6.1).
        const idx = readInt(src, end, c, 7);
        if (idx <= 0) return HPACK_COMPRESSION_ERROR;
        if (idx <= STATIC_COUNT) {
          const e = STATIC_TABLE[idx - 1] as readonly [string, string];
          name = e[0];
          value = e[1];
        } else {
          const i = idx - STATIC_COUNT - 1;
          if (i >= table.length) return HPACK_COMPRESSION_ERROR;
          name = table.name(i);
          value = table.value(i);
        }
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only at the start of a block.
        if (headerSeen) return HPACK_COMPRESSION_ERROR;
        const size = readInt(src, end, c, 5);
        if (size < 0 || size > this.maxTableSize) return HPACK_COMPRESSION_ERROR;
        table.setMaxSize(size);
        continue;
      } else {
        // Literal (§6.2): with incremental indexing (01), without (0000) or never indexed (0001).
        const incremental = (b & 0xc0) === 0x40;
        const prefix = incremental ? 6 : 4;
        const idx = readInt(src, end, c, prefix);
        if (idx < 0) return HPACK_COMPRESSION_ERROR;
        this.literalBad = false;
        if (idx === 0) name = this.readString(src, end, true);
        else if (idx <= STATIC_COUNT) name = (STATIC_TABLE[idx - 1] as readonly [string, string])[0];
        else if (idx - STATIC_COUNT - 1 < table.length) name = table.name(idx - STATIC_COUNT - 1);
        if (name === undefined) return HPACK_COMPRESSION_ERROR;
        value = this.readString(src, end, false);
        if (value === undefined) return HPACK_COMPRESSION_ERROR;
        if (this.literalBad) {
          bad = true;
          if (incremental) this.tainted = true;
        }
        if (incremental) table.add(name, value);
        else if ((b & 0xf0) === 0x10) this.neverIndexed.push(name);
      }
      headerSeen = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxListSize || ++fields > maxFields) tooLarge = true;
      if (!tooLarge) out.push(name, value);
    }
    this.checked = !bad && !this.tainted;
    return tooLarge ? HPACK_TOO_LARGE : HPACK_OK;
  }

  /** A string literal; checked as a field name or value on the way (literalBad). */
  private readString(src: Buffer, end: number, isName: boolean): string | undefined {
    const c = this.c;
    if (c.pos >= end) return undefined;
    const huffman = ((src[c.pos] as number) & 0x80) !== 0;
    const len = readInt(src, end, c, 7);
    if (len < 0 || c.pos + len > end) return undefined;
    let bytes = src;
    let from = c.pos;
    let to = from + len;
    c.pos = to;
    if (huffman) {
      const n = huffmanDecodeBytes(src, from, to);
      if (n < 0) return undefined;
      bytes = huffmanDecoded();
      from = 0;
      to = n;
    }
    if (!(isName ? validNameBytes(bytes, from, to) : validValueBytes(bytes, from, to))) this.literalBad = true;
    return bytes.toString('latin1', from, to);
  }
}
