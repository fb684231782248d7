/**
 * A small Hessian 2 reader for what routing needs out of a SOFARPC body: the SofaRequest object and the call
 * arguments, as JSON-like values. Two dialects exist on the wire: the final Hessian 2.0 spec (class definitions
 * start with 'C'; Java sofa-hessian 4, hessian.js 2) and the 2.0 draft that Hessian 3.x wrote (class definitions
 * start with 'O', instances with 'o'; sofa-bolt-node's default through hessian.js 1). The codes overlap ('O', 'R',
 * 'J', 'K', 'V' differ in meaning), so the reader is told the dialect; `hessianDialect` tells it from the first byte.
 * Every failure is an RpcProtocolError; nesting depth is bounded so hostile bytes cannot blow the stack.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';

export type HessianDialect = 'final' | 'draft';

const MAX_DEPTH = 64;

interface ClassDef {
  readonly name: string;
  readonly fields: readonly string[];
}

/** The dialect of a body whose first value is an object (a SofaRequest / SofaResponse / exception). */
export function hessianDialect(body: Buffer): HessianDialect {
  return body[0] === 0x43 ? 'final' : 'draft';
}

export class HessianReader {
  private pos: number;
  private readonly classes: ClassDef[] = [];
  private readonly types: string[] = [];
  private readonly refs: unknown[] = [];
  private depth = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly draft: boolean,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get position(): number {
    return this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  read(): unknown {
    if (++this.depth > MAX_DEPTH) throw new RpcProtocolError('hessian: nesting too deep');
    const v = this.readValue();
    this.depth--;
    return v;
  }

  /**
   * Reads the leading fields of an object (after its class definitions) until every name in `wanted` has been read,
   * leaving the rest unread: enough to look at a SofaResponse's `isError` without decoding the payload.
   */
  readObjectPrefix(wanted: ReadonlySet<string>): Record<string, unknown> {
    for (;;) {
      const c = this.buf[this.pos];
      if (!this.draft && c === 0x43) {
        this.pos++;
        this.classDef(this.readString());
      } else if (this.draft && c === 0x4f) {
        this.pos++;
        this.classDef(this.chars(this.intValue()));
      } else break;
    }
    const code = this.byte();
    let index: number;
    if (this.draft && code === 0x6f) index = this.intValue();
    else if (!this.draft && code >= 0x60 && code <= 0x6f) index = code - 0x60;
    else if (!this.draft && code === 0x4f) index = this.intValue();
    else return this.fail('expected an object');
    const def = this.classes[index];
    if (!def) return this.fail('undefined class reference');
    const out: Record<string, unknown> = {};
    let found = 0;
    for (const f of def.fields) {
      if (found === wanted.size) break;
      out[f] = this.read();
      if (wanted.has(f)) found++;
    }
    return out;
  }

  /** Reads a value that must be a string (or null, returned as ''). */
  readString(): string {
    const v = this.read();
    if (v === null) return '';
    if (typeof v !== 'string') throw new RpcProtocolError('hessian: expected a string');
    return v;
  }

  private fail(what: string): never {
    throw new RpcProtocolError(`hessian: ${what} at offset ${this.pos}`);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated value');
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  private i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private i64(): number | string {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }

  private readValue(): unknown {
    const code = this.byte();
    // Codes with one meaning in both dialects.
    if (code <= 0x1f) return this.chars(code);
    if (code >= 0x20 && code <= 0x2f) return this.bytes(code - 0x20);
    if (code >= 0x80 && code <= 0xbf) return code - 0x90;
    if (code >= 0xc0 && code <= 0xcf) return ((code - 0xc8) << 8) + this.byte();
    if (code >= 0xd0 && code <= 0xd7) return ((code - 0xd4) << 16) + (this.byte() << 8) + this.byte();
    if (code >= 0xd8 && code <= 0xef) return code - 0xe0;
    if (code >= 0xf0) return ((code - 0xf8) << 8) + this.byte();
    if (code >= 0x38 && code <= 0x3f) return ((code - 0x3c) << 16) + (this.byte() << 8) + this.byte();
    switch (code) {
      case 0x4e: return null; // N
      case 0x54: return true; // T
      case 0x46: return false; // F
      case 0x49: return this.i32(); // I
      case 0x4c: return this.i64(); // L
      case 0x44: { // D
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case 0x53: return this.chars(this.u16()); // S: final string chunk
      case 0x42: return this.bytes(this.u16()); // B: final binary chunk
      case 0x4d: return this.map(true); // M: typed map
      case 0x48: return this.map(false); // H: untyped map
    }
    return this.draft ? this.draftValue(code) : this.finalValue(code);
  }

  private finalValue(code: number): unknown {
    if (code >= 0x30 && code <= 0x33) return this.chars(((code - 0x30) << 8) + this.byte());
    if (code >= 0x34 && code <= 0x37) return this.bytes(((code - 0x34) << 8) + this.byte());
    if (code >= 0x60 && code <= 0x6f) return this.instance(code - 0x60);
    if (code >= 0x70 && code <= 0x77) return this.list(true, code - 0x70);
    if (code >= 0x78 && code <= 0x7f) return this.list(false, code - 0x78);
    switch (code) {
      case 0x59: return this.i32(); // 32-bit long
      case 0x5b: return 0;
      case 0x5c: return 1;
      case 0x5d: return (this.byte() << 24) >> 24;
      case 0x5e: return (this.u16() << 16) >> 16;
      case 0x5f: return this.i32() / 1000;
      case 0x4a: return this.date(Number(this.i64()));
      case 0x4b: return this.date(this.i32() * 60_000);
      case 0x52: return this.chunked(0x52, true); // R: string chunk
      case 0x41: return this.chunked(0x41, false); // A: binary chunk
      case 0x43: this.classDef(this.readString()); return this.read(); // C: definition, then the value
      case 0x4f: return this.instance(this.intValue()); // O
      case 0x51: return this.ref(this.intValue()); // Q
      case 0x55: return this.list(true, -1); // typed, variable
      case 0x56: return this.list(true, -2); // typed, fixed (length follows the type)
      case 0x57: return this.list(false, -1);
      case 0x58: return this.list(false, -2);
    }
    return this.fail(`unknown code 0x${code.toString(16)}`);
  }

  private draftValue(code: number): unknown {
    switch (code) {
      case 0x77: return this.i32(); // 32-bit long
      case 0x67: return 0;
      case 0x68: return 1;
      case 0x69: return (this.byte() << 24) >> 24;
      case 0x6a: return (this.u16() << 16) >> 16;
      case 0x6b: { // float
        this.need(4);
        const v = this.buf.readFloatBE(this.pos);
        this.pos += 4;
        return v;
      }
      case 0x64: return this.date(Number(this.i64())); // d
      case 0x73: return this.chunked(0x73, true); // s: string chunk
      case 0x62: return this.chunked(0x62, false); // b: binary chunk
      case 0x4f: { // O: definition (length-prefixed raw name), then the value
        const len = this.intValue();
        this.classDef(this.chars(len));
        return this.read();
      }
      case 0x6f: return this.instance(this.intValue()); // o
      case 0x4a: return this.ref(this.byte()); // J
      case 0x4b: return this.ref(this.u16()); // K
      case 0x52: return this.ref(this.i32()); // R
      case 0x56: return this.draftList(); // V
      case 0x76: { // v: ref to a list type, then a length
        this.typeAt(this.intValue());
        return this.collect(this.intValue(), false);
      }
    }
    return this.fail(`unknown code 0x${code.toString(16)}`);
  }

  /** Dates become ISO strings; milliseconds outside what a Date holds are a broken value. */
  private date(ms: number): string {
    const d = new Date(ms);
    if (Number.isNaN(d.getTime())) this.fail('date out of range');
    return d.toISOString();
  }

  /** An int in any of its encodings (lengths, refs). */
  private intValue(): number {
    const v = this.read();
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail('expected an int');
    return v;
  }

  /** `len` UTF-16 code units of UTF-8 (Hessian counts characters, not bytes). */
  private chars(len: number): string {
    const start = this.pos;
    let units = 0;
    let cesu = false;
    while (units < len) {
      const b = this.byte();
      if (b < 0x80) units++;
      else if ((b & 0xe0) === 0xc0) { this.need(1); this.pos += 1; units++; }
      else if ((b & 0xf0) === 0xe0) {
        this.need(2);
        if (b === 0xed && (this.buf[this.pos] as number) >= 0xa0) cesu = true;
        this.pos += 2;
        units++;
      } else if ((b & 0xf8) === 0xf0) { this.need(3); this.pos += 3; units += 2; }
      else this.fail('invalid UTF-8');
    }
    return cesu ? this.cesu8(start, this.pos) : this.buf.toString('utf8', start, this.pos);
  }

  /** Java writes each UTF-16 surrogate as its own 3-byte sequence (CESU-8), which Buffer's UTF-8 decoder rejects. */
  private cesu8(start: number, end: number): string {
    const b = this.buf;
    const units: number[] = [];
    let p = start;
    while (p < end) {
      const c = b[p] as number;
      if (c < 0x80) { units.push(c); p += 1; }
      else if ((c & 0xe0) === 0xc0) { units.push(((c & 0x1f) << 6) | ((b[p + 1] as number) & 0x3f)); p += 2; }
      else if ((c & 0xf0) === 0xe0) {
        units.push(((c & 0x0f) << 12) | (((b[p + 1] as number) & 0x3f) << 6) | ((b[p + 2] as number) & 0x3f));
        p += 3;
      } else {
        const cp = ((c & 0x07) << 18) | (((b[p + 1] as number) & 0x3f) << 12) | (((b[p + 2] as number) & 0x3f) << 6) | ((b[p + 3] as number) & 0x3f);
        units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
        p += 4;
      }
    }
    let s = '';
    for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
    return s;
  }

  private bytes(len: number): string {
    this.need(len);
    const s = this.buf.toString('base64', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /**
   * Non-final chunks (`chunkCode`, u16 length each) then one final chunk in any form: the long final code, or a
   * short/medium form (strings 0x00-0x1f, 0x30-0x33; binaries 0x20-0x2f, 0x34-0x37). Strings join as text,
   * binaries as base64.
   */
  private chunked(chunkCode: number, text: boolean): string {
    const parts: string[] = [];
    const finalCode = text ? 0x53 : 0x42;
    let len = this.u16();
    for (;;) {
      parts.push(text ? this.chars(len) : this.rawBytes(len));
      const code = this.byte();
      if (code === chunkCode) { len = this.u16(); continue; }
      if (code === finalCode) len = this.u16();
      else if (text && code <= 0x1f) len = code;
      else if (text && !this.draft && code >= 0x30 && code <= 0x33) len = ((code - 0x30) << 8) + this.byte();
      else if (!text && code >= 0x20 && code <= 0x2f) len = code - 0x20;
      else if (!text && !this.draft && code >= 0x34 && code <= 0x37) len = ((code - 0x34) << 8) + this.byte();
      else this.fail('bad chunk');
      parts.push(text ? this.chars(len) : this.rawBytes(len));
      break;
    }
    return text ? parts.join('') : Buffer.from(parts.join(''), 'latin1').toString('base64');
  }

  private rawBytes(len: number): string {
    this.need(len);
    const s = this.buf.toString('latin1', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  private classDef(name: string): void {
    const count = this.intValue();
    if (count < 0 || count > 4096) this.fail('bad field count');
    const fields: string[] = [];
    for (let i = 0; i < count; i++) fields.push(this.readString());
    this.classes.push({ name, fields });
  }

  private instance(index: number): unknown {
    const def = this.classes[index];
    if (!def) return this.fail('undefined class reference');
    const obj: Record<string, unknown> = {};
    this.refs.push(obj);
    for (const f of def.fields) obj[f] = this.read();
    return obj;
  }

  private ref(index: number): unknown {
    if (index < 0 || index >= this.refs.length) this.fail('bad back reference');
    return this.refs[index];
  }

  private typeAt(index: number): string {
    const t = this.types[index];
    if (t === undefined) this.fail('bad type reference');
    return t;
  }

  /** A type: a string (remembered) or an int reference to an earlier one. */
  private finalType(): void {
    const v = this.read();
    if (typeof v === 'string') this.types.push(v);
    else if (typeof v === 'number') this.typeAt(v);
    else this.fail('bad type');
  }

  /** Draft types: 't' u16 raw name, or 'T'/'u' int reference; absent otherwise. */
  private draftType(): void {
    const code = this.buf[this.pos];
    if (code === 0x74) {
      this.pos++;
      this.types.push(this.chars(this.u16()));
    } else if (code === 0x54 || code === 0x75) {
      this.pos++;
      this.typeAt(this.intValue());
    }
  }

  /** Final lists: len >= 0 fixed, -1 variable (ends with 'Z'), -2 fixed with an int length after the type. */
  private list(typed: boolean, len: number): unknown[] {
    if (typed) this.finalType();
    if (len === -2) len = this.intValue();
    return this.collect(len, len === -1);
  }

  private draftList(): unknown[] {
    this.draftType();
    let len = -1;
    const code = this.buf[this.pos];
    if (code === 0x6e) { this.pos++; len = this.byte(); }
    else if (code === 0x6c) { this.pos++; len = this.i32(); }
    const out = this.collect(len, len === -1);
    if (len !== -1 && this.byte() !== 0x7a) this.fail('list without end');
    return out;
  }

  private collect(len: number, untilEnd: boolean): unknown[] {
    const out: unknown[] = [];
    this.refs.push(out);
    const endCode = this.draft ? 0x7a : 0x5a;
    if (untilEnd) {
      for (;;) {
        this.need(1);
        if (this.buf[this.pos] === endCode) { this.pos++; return out; }
        out.push(this.read());
      }
    }
    if (len < 0) this.fail('bad list length');
    for (let i = 0; i < len; i++) out.push(this.read());
    return out;
  }

  private map(typed: boolean): Record<string, unknown> {
    if (typed) {
      if (this.draft) this.draftType();
      else this.finalType();
    }
    const out: Record<string, unknown> = {};
    this.refs.push(out);
    const endCode = this.draft ? 0x7a : 0x5a;
    for (;;) {
      this.need(1);
      if (this.buf[this.pos] === endCode) { this.pos++; return out; }
      const k = this.read();
      out[typeof k === 'string' ? k : JSON.stringify(k) ?? 'null'] = this.read();
    }
  }
}
