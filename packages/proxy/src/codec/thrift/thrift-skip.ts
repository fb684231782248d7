/**
 * Delimits an unframed Thrift message by skipping its body struct, resumably: the walk is an explicit stack of open
 * structs / containers, advanced one token at a time (a field header with its scalar value or container header, an
 * element, a map key or value). When the bytes run out the walk stops at the last whole token and throws NEED_MORE;
 * the next read resumes there instead of re-walking the message, so a huge message arriving in many reads is walked
 * once. Positions are kept relative to the message start, which stays put while the codec keeps the partial bytes.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { CType, MAX_DEPTH, TType } from './thrift-constants.js';
import { NEED_MORE } from './thrift-reader.js';

const STRUCT = 0;
const LIST = 1;
const MAP = 2;

/** One open struct, list/set or map. */
interface Level {
  kind: number;
  /** Elements (list) or entries (map) left. */
  remaining: number;
  /** Element type, or key type. */
  t1: number;
  /** Value type (maps). */
  t2: number;
  /** Maps: the next token is a key (else its value). */
  key: boolean;
}

/** Fixed wire size of a binary-protocol scalar, 0 for variable or container types, -1 for unknown types. */
function binaryFixed(t: number): number {
  switch (t) {
    case TType.BOOL: case TType.BYTE: return 1;
    case TType.I16: return 2;
    case TType.I32: return 4;
    case TType.I64: case TType.DOUBLE: return 8;
    case TType.UUID: return 16;
    case TType.STRING: case TType.STRUCT: case TType.LIST: case TType.SET: case TType.MAP: return 0;
    default: return -1;
  }
}

/** Least bytes an element of a compact type takes (bounds declared counts), 0 for unknown types. */
function compactMin(t: number): number {
  switch (t) {
    case CType.DOUBLE: return 8;
    case CType.UUID: return 16;
    case CType.BOOL_TRUE: case CType.BOOL_FALSE: case CType.BYTE: case CType.I16: case CType.I32: case CType.I64:
    case CType.BINARY: case CType.LIST: case CType.SET: case CType.MAP: case CType.STRUCT: return 1;
    default: return 0;
  }
}

export class ResumableSkip {
  /** Bytes consumed by walk steps so far (a measure of the work done, for tests). */
  walked = 0;
  /** When NEED_MORE was thrown: the absolute offset up to which bytes are needed. */
  needAt = 0;
  private readonly stack: Level[] = [];
  private rel = 0;
  private buf: Buffer = Buffer.alloc(0);
  private end = 0;

  constructor(private readonly maxBytes: number) {}

  /** Whether a walk is under way (waiting for more bytes of its message). */
  get active(): boolean {
    return this.stack.length > 0;
  }

  /** Forgets a walk (its message failed or the connection ends). */
  reset(): void {
    this.stack.length = 0;
  }

  /**
   * Walks the body struct of the message starting at `base` (the body at `body`, on the first call), resuming where
   * the last call stopped; returns the absolute end of the message, or throws NEED_MORE (see needAt).
   */
  run(buf: Buffer, base: number, body: number, end: number, compact: boolean): number {
    this.buf = buf;
    this.end = end;
    if (this.stack.length === 0) {
      this.rel = body - base;
      this.push(STRUCT, 0, 0, 0);
    }
    while (this.stack.length > 0) {
      const p = base + this.rel;
      const next = compact ? this.stepCompact(p) : this.stepBinary(p);
      this.walked += next - p;
      this.rel = next - base;
    }
    return base + this.rel;
  }

  private need(p: number, n: number): void {
    if (p + n > this.end) {
      this.needAt = p + n;
      throw NEED_MORE;
    }
  }

  private push(kind: number, remaining: number, t1: number, t2: number): void {
    if (this.stack.length > MAX_DEPTH) throw new RpcProtocolError('thrift: nesting too deep');
    this.stack.push({ kind, remaining, t1, t2, key: true });
  }

  private checkCount(n: number, min: number): void {
    if (n < 0 || n * min > this.maxBytes) throw new RpcProtocolError(`thrift: container of ${n} elements exceeds the frame limit`);
  }

  /** The type of the next value of a list or map, -1 when it is complete; -2 for a struct (a field header comes). */
  private slot(top: Level): number {
    if (top.kind === LIST) return top.remaining === 0 ? -1 : top.t1;
    if (top.kind === MAP) return top.remaining === 0 ? -1 : top.key ? top.t1 : top.t2;
    return -2;
  }

  /** Marks the slot taken once its token is complete. */
  private taken(top: Level): void {
    if (top.kind === LIST) top.remaining--;
    else if (top.kind === MAP) {
      if (!top.key) top.remaining--;
      top.key = !top.key;
    }
  }

  private stepBinary(p: number): number {
    const b = this.buf;
    const top = this.stack[this.stack.length - 1] as Level;
    let t = this.slot(top);
    let at = p;
    if (t === -1) {
      this.stack.pop();
      return p;
    }
    if (t === -2) {
      this.need(p, 1);
      t = b[p] as number;
      if (t === TType.STOP) {
        this.stack.pop();
        return p + 1;
      }
      this.need(p, 3);
      at = p + 3;
    }
    const fixed = binaryFixed(t);
    if (fixed < 0) throw new RpcProtocolError(`thrift: unknown field type ${t}`);
    let next: number;
    if (fixed > 0) {
      this.need(at, fixed);
      next = at + fixed;
    } else if (t === TType.STRING) {
      this.need(at, 4);
      const len = b.readInt32BE(at);
      if (len < 0 || len > this.maxBytes) throw new RpcProtocolError(`thrift: string length ${len} exceeds the frame limit`);
      this.need(at, 4 + len);
      next = at + 4 + len;
    } else if (t === TType.STRUCT) {
      this.taken(top);
      this.push(STRUCT, 0, 0, 0);
      return at;
    } else if (t === TType.MAP) {
      this.need(at, 6);
      const n = b.readInt32BE(at + 2);
      const kt = b[at] as number;
      const vt = b[at + 1] as number;
      if (n > 0 && (binaryFixed(kt) < 0 || binaryFixed(vt) < 0)) throw new RpcProtocolError(`thrift: unknown map types ${kt}/${vt}`);
      this.checkCount(n, 2);
      this.taken(top);
      this.push(MAP, n, kt, vt);
      return at + 6;
    } else {
      this.need(at, 5);
      const et = b[at] as number;
      const n = b.readInt32BE(at + 1);
      const ef = binaryFixed(et);
      if (ef < 0 && n > 0) throw new RpcProtocolError(`thrift: unknown element type ${et}`);
      this.checkCount(n, ef > 0 ? ef : 1);
      if (ef > 0) {
        // A list of fixed-size scalars is one token.
        this.need(at, 5 + n * ef);
        next = at + 5 + n * ef;
      } else {
        this.taken(top);
        this.push(LIST, n, et, 0);
        return at + 5;
      }
    }
    this.taken(top);
    return next;
  }

  /** The end of the varint at `p` (at most `max` bytes). */
  private varintEnd(p: number, max: number): number {
    const b = this.buf;
    for (let i = 0; i < max; i++) {
      this.need(p + i, 1);
      if ((b[p + i] as number) < 0x80) return p + i + 1;
    }
    throw new RpcProtocolError('thrift: varint too long');
  }

  /** The unsigned 32-bit varint at `p` and its end. */
  private varint32(p: number): [number, number] {
    const e = this.varintEnd(p, 5);
    let v = 0;
    for (let i = p, shift = 0; i < e; i++, shift += 7) v |= ((this.buf[i] as number) & 0x7f) << shift;
    return [v >>> 0, e];
  }

  private stepCompact(p: number): number {
    const b = this.buf;
    const top = this.stack[this.stack.length - 1] as Level;
    let t = this.slot(top);
    let at = p;
    if (t === -1) {
      this.stack.pop();
      return p;
    }
    if (t === -2) {
      this.need(p, 1);
      const h = b[p] as number;
      if (h === CType.STOP) {
        this.stack.pop();
        return p + 1;
      }
      t = h & 0x0f;
      at = h >> 4 === 0 ? this.varintEnd(p + 1, 5) : p + 1;
      // A boolean field carries its value in the type nibble.
      if (t === CType.BOOL_TRUE || t === CType.BOOL_FALSE) return at;
    }
    let next: number;
    switch (t) {
      case CType.BOOL_TRUE: case CType.BOOL_FALSE: case CType.BYTE: this.need(at, 1); next = at + 1; break;
      case CType.I16: case CType.I32: next = this.varintEnd(at, 5); break;
      case CType.I64: next = this.varintEnd(at, 10); break;
      case CType.DOUBLE: this.need(at, 8); next = at + 8; break;
      case CType.UUID: this.need(at, 16); next = at + 16; break;
      case CType.BINARY: {
        const [len, e] = this.varint32(at);
        if (len > this.maxBytes) throw new RpcProtocolError(`thrift: string length ${len} exceeds the frame limit`);
        this.need(e, len);
        next = e + len;
        break;
      }
      case CType.STRUCT:
        this.taken(top);
        this.push(STRUCT, 0, 0, 0);
        return at;
      case CType.LIST: case CType.SET: {
        this.need(at, 1);
        const h = b[at] as number;
        const [n, e] = h >> 4 === 15 ? this.varint32(at + 1) : [h >> 4, at + 1];
        const et = h & 0x0f;
        const min = compactMin(et);
        if (min === 0 && n > 0) throw new RpcProtocolError(`thrift: unknown element type ${et}`);
        this.checkCount(n, min || 1);
        this.taken(top);
        this.push(LIST, n, et, 0);
        return e;
      }
      case CType.MAP: {
        const [n, e] = this.varint32(at);
        if (n === 0) {
          next = e;
          break;
        }
        this.need(e, 1);
        const kv = b[e] as number;
        const kt = kv >> 4;
        const vt = kv & 0x0f;
        if (compactMin(kt) === 0 || compactMin(vt) === 0) throw new RpcProtocolError(`thrift: unknown map types ${kt}/${vt}`);
        this.checkCount(n, compactMin(kt) + compactMin(vt));
        this.taken(top);
        this.push(MAP, n, kt, vt);
        return e + 1;
      }
      default: throw new RpcProtocolError(`thrift: unknown compact type ${t}`);
    }
    this.taken(top);
    return next;
  }
}
