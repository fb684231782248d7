/**
 * Walks Thrift values in a buffer for both protocols: skipping (to delimit unframed messages, no allocation) and
 * reading (for `args()`). Running out of bytes throws the NEED_MORE sentinel with `needAt` set to the end offset the
 * walk needed, so the caller waits for at least that much before walking again; garbage throws RpcProtocolError.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { CType, MAX_DEPTH, TType } from './thrift-constants.js';

/** Thrown (not an Error: no stack is captured) when the walk runs past the bytes received so far. */
export const NEED_MORE: unique symbol = Symbol('thrift-need-more');

/** Bytes each element of a type takes at least, for bounding declared container sizes; 0 = unknown type. */
function minBinarySize(t: number): number {
  switch (t) {
    case TType.BOOL: case TType.BYTE: case TType.STRUCT: return 1;
    case TType.I16: return 2;
    case TType.I32: case TType.STRING: case TType.SET: case TType.LIST: return 4;
    case TType.MAP: return 4;
    case TType.DOUBLE: case TType.I64: return 8;
    case TType.UUID: return 16;
    default: return 0;
  }
}

function minCompactSize(t: number): number {
  switch (t) {
    case CType.BOOL_TRUE: case CType.BOOL_FALSE: case CType.BYTE: case CType.I16: case CType.I32: case CType.I64:
    case CType.BINARY: case CType.LIST: case CType.SET: case CType.MAP: case CType.STRUCT: return 1;
    case CType.DOUBLE: return 8;
    case CType.UUID: return 16;
    default: return 0;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An i64 as a number when exact, else its decimal text (JSON-like, and what parameter matchers compare). */
function i64Value(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

function uuidText(b: Buffer, p: number): string {
  const h = b.toString('hex', p, p + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export abstract class ThriftReader {
  pos = 0;
  end = 0;
  /** When NEED_MORE was thrown: the offset up to which bytes are needed. */
  needAt = 0;
  buf: Buffer = Buffer.alloc(0);

  constructor(protected readonly maxBytes: number) {}

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  take(n: number): number {
    const p = this.pos;
    if (p + n > this.end) {
      this.needAt = p + n;
      throw NEED_MORE;
    }
    this.pos = p + n;
    return p;
  }

  protected checkCount(count: number, minSize: number, what: string): void {
    if (count < 0 || count * minSize > this.maxBytes) throw new RpcProtocolError(`thrift: ${what} of ${count} elements exceeds the frame limit`);
  }

  protected checkLength(len: number): void {
    if (len < 0 || len > this.maxBytes) throw new RpcProtocolError(`thrift: string length ${len} exceeds the frame limit`);
  }

  /** Skips (collect false) or reads a whole struct: field values ordered by field id. */
  abstract struct(depth: number, collect: boolean): unknown[] | undefined;
  /** The id of the first field of the struct at the cursor (-1 for an empty struct), without consuming it. */
  abstract firstFieldId(): number;
}

export class BinaryReader extends ThriftReader {
  struct(depth: number, collect: boolean): unknown[] | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const fields: [number, unknown][] | undefined = collect ? [] : undefined;
    const b = this.buf;
    for (;;) {
      const t = b[this.take(1)] as number;
      if (t === TType.STOP) break;
      const id = b.readInt16BE(this.take(2));
      const v = this.value(t, depth + 1, collect);
      if (fields) fields.push([id, v]);
    }
    return fields ? byFieldId(fields) : undefined;
  }

  firstFieldId(): number {
    const p = this.pos;
    const b = this.buf;
    const t = b[this.take(1)] as number;
    const id = t === TType.STOP ? -1 : b.readInt16BE(this.take(2));
    this.pos = p;
    return id;
  }

  private value(t: number, depth: number, collect: boolean): unknown {
    const b = this.buf;
    switch (t) {
      case TType.BOOL: return b[this.take(1)] !== 0;
      case TType.BYTE: return b.readInt8(this.take(1));
      case TType.I16: return b.readInt16BE(this.take(2));
      case TType.I32: return b.readInt32BE(this.take(4));
      case TType.I64: { const p = this.take(8); return collect ? i64Value(b.readBigInt64BE(p)) : undefined; }
      case TType.DOUBLE: return b.readDoubleBE(this.take(8));
      case TType.UUID: { const p = this.take(16); return collect ? uuidText(b, p) : undefined; }
      case TType.STRING: {
        const len = b.readInt32BE(this.take(4));
        this.checkLength(len);
        const p = this.take(len);
        return collect ? b.toString('utf8', p, p + len) : undefined;
      }
      case TType.STRUCT: return this.struct(depth, collect);
      case TType.LIST: case TType.SET: {
        const p = this.take(5);
        const et = b[p] as number;
        const n = b.readInt32BE(p + 1);
        return this.elements(et, n, depth, collect);
      }
      case TType.MAP: {
        const p = this.take(6);
        const kt = b[p] as number;
        const vt = b[p + 1] as number;
        const n = b.readInt32BE(p + 2);
        return this.entries(kt, vt, n, depth, collect);
      }
      default: throw new RpcProtocolError(`thrift: unknown field type ${t}`);
    }
  }

  private elements(et: number, n: number, depth: number, collect: boolean): unknown[] | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const min = minBinarySize(et);
    if (min === 0 && n > 0) throw new RpcProtocolError(`thrift: unknown element type ${et}`);
    this.checkCount(n, min, 'list');
    if (!collect && isFixedBinary(et)) {
      this.take(n * min);
      return undefined;
    }
    const out: unknown[] | undefined = collect ? [] : undefined;
    for (let i = 0; i < n; i++) {
      const v = this.value(et, depth + 1, collect);
      if (out) out.push(v);
    }
    return out;
  }

  private entries(kt: number, vt: number, n: number, depth: number, collect: boolean): Record<string, unknown> | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const km = minBinarySize(kt);
    const vm = minBinarySize(vt);
    if ((km === 0 || vm === 0) && n > 0) throw new RpcProtocolError(`thrift: unknown map types ${kt}/${vt}`);
    this.checkCount(n, km + vm, 'map');
    const out: Record<string, unknown> | undefined = collect ? {} : undefined;
    for (let i = 0; i < n; i++) {
      const k = this.value(kt, depth + 1, collect);
      const v = this.value(vt, depth + 1, collect);
      if (out) setKey(out, keyText(k), v);
    }
    return out;
  }
}

function isFixedBinary(t: number): boolean {
  return t === TType.BOOL || t === TType.BYTE || t === TType.I16 || t === TType.I32 || t === TType.I64 || t === TType.DOUBLE || t === TType.UUID;
}

export class CompactReader extends ThriftReader {
  struct(depth: number, collect: boolean): unknown[] | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const fields: [number, unknown][] | undefined = collect ? [] : undefined;
    const b = this.buf;
    let last = 0;
    for (;;) {
      const h = b[this.take(1)] as number;
      if (h === CType.STOP) break;
      const t = h & 0x0f;
      const delta = h >> 4;
      const id = delta === 0 ? zigzag32(this.varint32()) : last + delta;
      last = id;
      // Booleans in a field header carry their value in the type nibble.
      const v = t === CType.BOOL_TRUE ? true : t === CType.BOOL_FALSE ? false : this.value(t, depth + 1, collect);
      if (fields) fields.push([id, v]);
    }
    return fields ? byFieldId(fields) : undefined;
  }

  firstFieldId(): number {
    const p = this.pos;
    const h = this.buf[this.take(1)] as number;
    let id = -1;
    if (h !== CType.STOP) id = h >> 4 === 0 ? zigzag32(this.varint32()) : h >> 4;
    this.pos = p;
    return id;
  }

  /** An unsigned varint of up to 32 bits (5 bytes). */
  varint32(): number {
    const b = this.buf;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const c = b[this.take(1)] as number;
      v |= (c & 0x7f) << shift;
      if (c < 0x80) return v >>> 0;
    }
    throw new RpcProtocolError('thrift: varint32 too long');
  }

  private varint64(): bigint {
    const b = this.buf;
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const c = b[this.take(1)] as number;
      v |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return BigInt.asUintN(64, v);
    }
    throw new RpcProtocolError('thrift: varint64 too long');
  }

  private skipVarint(max: number): void {
    const b = this.buf;
    for (let i = 0; i < max; i++) if ((b[this.take(1)] as number) < 0x80) return;
    throw new RpcProtocolError('thrift: varint too long');
  }

  private value(t: number, depth: number, collect: boolean): unknown {
    const b = this.buf;
    switch (t) {
      case CType.BOOL_TRUE: case CType.BOOL_FALSE: return b[this.take(1)] === 1;
      case CType.BYTE: return b.readInt8(this.take(1));
      case CType.I16: case CType.I32: return zigzag32(this.varint32());
      case CType.I64: {
        if (!collect) { this.skipVarint(10); return undefined; }
        const u = this.varint64();
        return i64Value((u >> 1n) ^ -(u & 1n));
      }
      case CType.DOUBLE: return b.readDoubleLE(this.take(8));
      case CType.UUID: { const p = this.take(16); return collect ? uuidText(b, p) : undefined; }
      case CType.BINARY: {
        const len = this.varint32();
        this.checkLength(len);
        const p = this.take(len);
        return collect ? b.toString('utf8', p, p + len) : undefined;
      }
      case CType.STRUCT: return this.struct(depth, collect);
      case CType.LIST: case CType.SET: {
        const h = b[this.take(1)] as number;
        const n = h >> 4 === 15 ? this.varint32() : h >> 4;
        return this.elements(h & 0x0f, n, depth, collect);
      }
      case CType.MAP: {
        const n = this.varint32();
        if (n === 0) return collect ? {} : undefined;
        const kv = b[this.take(1)] as number;
        return this.entries(kv >> 4, kv & 0x0f, n, depth, collect);
      }
      default: throw new RpcProtocolError(`thrift: unknown compact type ${t}`);
    }
  }

  private elements(et: number, n: number, depth: number, collect: boolean): unknown[] | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const min = minCompactSize(et);
    if (min === 0 && n > 0) throw new RpcProtocolError(`thrift: unknown element type ${et}`);
    this.checkCount(n, min, 'list');
    const out: unknown[] | undefined = collect ? [] : undefined;
    for (let i = 0; i < n; i++) {
      const v = this.value(et, depth + 1, collect);
      if (out) out.push(v);
    }
    return out;
  }

  private entries(kt: number, vt: number, n: number, depth: number, collect: boolean): Record<string, unknown> | undefined {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    const km = minCompactSize(kt);
    const vm = minCompactSize(vt);
    if (km === 0 || vm === 0) throw new RpcProtocolError(`thrift: unknown map types ${kt}/${vt}`);
    this.checkCount(n, km + vm, 'map');
    const out: Record<string, unknown> | undefined = collect ? {} : undefined;
    for (let i = 0; i < n; i++) {
      const k = this.value(kt, depth + 1, collect);
      const v = this.value(vt, depth + 1, collect);
      if (out) setKey(out, keyText(k), v);
    }
    return out;
  }
}

export function zigzag32(u: number): number {
  return (u >>> 1) ^ -(u & 1);
}

/** A plain assignment would turn a `__proto__` key into a prototype change. */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function keyText(k: unknown): string {
  return typeof k === 'string' ? k : typeof k === 'object' ? JSON.stringify(k) : String(k);
}

function byFieldId(fields: [number, unknown][]): unknown[] {
  fields.sort((a, b) => a[0] - b[0]);
  const out: unknown[] = new Array<unknown>(fields.length);
  for (let i = 0; i < fields.length; i++) out[i] = (fields[i] as [number, unknown])[1];
  return out;
}
