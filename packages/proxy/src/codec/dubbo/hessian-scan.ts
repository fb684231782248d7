import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { decodeJavaUtf8 } from './java-utf8.js';
import { asciiString } from './string-intern.js';

const ASCII = 0;
const UTF8 = 1;
const JAVA_UTF8 = 2;

/** Nesting deeper than this in a request body is refused rather than risking the stack. */
const MAX_DEPTH = 64;

/**
 * A forward-only Hessian 2 reader over one frame's body: reads the strings and ints of a Dubbo request header part
 * and skips values without materialising them, so routing never pays for decoding the arguments. Reused across
 * frames of a connection (`reset`); every malformed or truncated value throws RpcProtocolError.
 */
export class HessianScanner {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Field counts of the class definitions seen so far in this body, for skipping object instances. */
  private readonly classFields: number[] = [];

  reset(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    // The length setter is a runtime call even on an empty array: skipped in the usual case.
    if (this.classFields.length !== 0) this.classFields.length = 0;
  }

  /** Whether the body so far defined classes (later bytes may then depend on them). */
  hasClassDefs(): boolean {
    return this.classFields.length !== 0;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    if (this.pos >= this.end) throw truncated();
    return this.buf[this.pos] as number;
  }

  private byte(): number {
    if (this.pos >= this.end) throw truncated();
    return this.buf[this.pos++] as number;
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw truncated();
    this.pos += n;
  }

  isStringStart(code: number): boolean {
    return code <= 0x1f || (code >= 0x30 && code <= 0x33) || code === 0x52 || code === 0x53;
  }

  isIntStart(code: number): boolean {
    return (code >= 0x80 && code <= 0xd7) || code === 0x49;
  }

  /** A string value; null reads as ''. */
  readString(): string {
    const code = this.byte();
    if (code === 0x4e) return '';
    if (code <= 0x1f) return this.utf8(code);
    if (code >= 0x30 && code <= 0x33) return this.utf8(((code - 0x30) << 8) | this.byte());
    if (code !== 0x52 && code !== 0x53) throw unexpected('string', code);
    let out = '';
    let final = code === 0x53;
    out += this.utf8(this.uint16());
    while (!final) {
      const next = this.byte();
      if (next === 0x53) final = true;
      else if (next !== 0x52) {
        // The final chunk of a chunked string may use the short forms too.
        this.pos--;
        if (!this.isStringStart(next)) throw unexpected('string chunk', next);
        return out + this.readString();
      }
      out += this.utf8(this.uint16());
    }
    return out;
  }

  /** An int value (any of the compact forms). */
  readInt(): number {
    const code = this.byte();
    if (code >= 0x80 && code <= 0xbf) return code - 0x90;
    if (code >= 0xc0 && code <= 0xcf) return ((code - 0xc8) << 8) + this.byte();
    if (code >= 0xd0 && code <= 0xd7) {
      const hi = code - 0xd4;
      return (hi << 16) + (this.byte() << 8) + this.byte();
    }
    if (code === 0x49) {
      this.advance(4);
      return this.buf.readInt32BE(this.pos - 4);
    }
    throw unexpected('int', code);
  }

  /**
   * A scalar as the string Dubbo attachments carry (strings, ints, longs, booleans); undefined after skipping
   * null or any structured value.
   */
  readScalarString(): string | undefined {
    const code = this.peek();
    if (this.isStringStart(code)) return this.readString();
    if (this.isIntStart(code)) return String(this.readInt());
    if (isLongStart(code)) return String(this.readLong());
    if (code === 0x54 || code === 0x46) {
      this.pos++;
      return code === 0x54 ? 'true' : 'false';
    }
    this.skip();
    return undefined;
  }

  readLong(): number {
    const code = this.byte();
    if (code >= 0xd8 && code <= 0xef) return code - 0xe0;
    if (code >= 0xf0) return ((code - 0xf8) << 8) + this.byte();
    if (code >= 0x38 && code <= 0x3f) return ((code - 0x3c) << 16) + (this.byte() << 8) + this.byte();
    if (code === 0x59) {
      this.advance(4);
      return this.buf.readInt32BE(this.pos - 4);
    }
    if (code === 0x4c) {
      this.advance(8);
      return Number(this.buf.readBigInt64BE(this.pos - 8));
    }
    throw unexpected('long', code);
  }

  /** Skips one complete value. */
  skip(): void {
    this.skipValue(0);
  }

  private skipValue(depth: number): void {
    if (depth > MAX_DEPTH) throw new RpcProtocolError('dubbo: hessian value nested too deeply');
    const code = this.byte();
    if (code <= 0x1f) return this.skipUtf8(code);
    if (code <= 0x2f) return this.advance(code - 0x20);
    if (code <= 0x33) return this.skipUtf8(((code - 0x30) << 8) | this.byte());
    if (code <= 0x37) return this.advance(((code - 0x34) << 8) | this.byte());
    if (code <= 0x3f) return this.advance(2);
    if (code >= 0x80) return this.skipNumber(code);
    if (code >= 0x70) return this.skipItems(code >= 0x78 ? code - 0x78 : this.skipTypeThen(code - 0x70), depth);
    if (code >= 0x60) return this.skipObject(code - 0x60, depth);
    switch (code) {
      case 0x41: // binary non-final chunk, then more chunks
        this.advance(this.uint16());
        return this.skipValue(depth + 1);
      case 0x42:
        return this.advance(this.uint16());
      case 0x43: // class definition, then the value using it
        this.skipString();
        this.defineClass(this.readInt());
        return this.skipValue(depth + 1);
      case 0x44:
      case 0x4a:
      case 0x4c:
        return this.advance(8);
      case 0x46:
      case 0x4e:
      case 0x54:
      case 0x5b:
      case 0x5c:
        return;
      case 0x48:
        return this.skipUntilEnd(depth);
      case 0x49:
      case 0x4b:
      case 0x59:
      case 0x5f:
        return this.advance(4);
      case 0x4d:
        this.skipType();
        return this.skipUntilEnd(depth);
      case 0x4f:
        return this.skipObject(this.readInt(), depth);
      case 0x51:
        this.readInt();
        return;
      case 0x52: // string non-final chunk, then more chunks
        this.utf8Span(this.uint16());
        if (!this.isStringStart(this.peek())) throw unexpected('string chunk', this.peek());
        return this.skipValue(depth + 1);
      case 0x53:
        return this.skipUtf8(this.uint16());
      case 0x55:
        this.skipType();
        return this.skipUntilEnd(depth);
      case 0x56:
        this.skipType();
        return this.skipItems(this.readInt(), depth);
      case 0x57:
        return this.skipUntilEnd(depth);
      case 0x58:
        return this.skipItems(this.readInt(), depth);
      case 0x5d:
        return this.advance(1);
      case 0x5e:
        return this.advance(2);
      default:
        throw unexpected('value', code);
    }
  }

  private skipNumber(code: number): void {
    if (code <= 0xbf) return; // int, one byte
    if (code <= 0xcf) return this.advance(1);
    if (code <= 0xd7) return this.advance(2);
    if (code <= 0xef) return; // long, one byte
    return this.advance(1);
  }

  private skipString(): void {
    const code = this.peek();
    if (!this.isStringStart(code)) throw unexpected('string', code);
    this.skipValue(0);
  }

  private skipType(): void {
    if (this.isStringStart(this.peek())) this.skipString();
    else this.readInt();
  }

  private skipTypeThen(n: number): number {
    this.skipType();
    return n;
  }

  private defineClass(fields: number): void {
    if (fields < 0) throw new RpcProtocolError('dubbo: negative hessian class field count');
    for (let i = 0; i < fields; i++) this.skipString();
    this.classFields.push(fields);
  }

  private skipObject(ref: number, depth: number): void {
    const fields = this.classFields[ref];
    if (fields === undefined) throw new RpcProtocolError(`dubbo: hessian object refers to undefined class ${ref}`);
    this.skipItems(fields, depth);
  }

  private skipItems(n: number, depth: number): void {
    if (n < 0) throw new RpcProtocolError('dubbo: negative hessian list length');
    for (let i = 0; i < n; i++) this.skipValue(depth + 1);
  }

  private skipUntilEnd(depth: number): void {
    while (this.peek() !== 0x5a) this.skipValue(depth + 1);
    this.pos++;
  }

  private uint16(): number {
    this.advance(2);
    return this.buf.readUInt16BE(this.pos - 2);
  }

  /** utf8Span() when only the end matters: the ASCII run first, one byte per char, without classifying it. */
  private skipUtf8(chars: number): void {
    const buf = this.buf;
    let p = this.pos;
    const stop = Math.min(p + chars, this.end);
    while (p < stop && (buf[p] as number) < 0x80) p++;
    const left = chars - (p - this.pos);
    this.pos = p;
    if (left !== 0) this.utf8Span(left);
  }

  /** Moves past `chars` UTF-16 units of UTF-8 (4-byte sequences are surrogate pairs: two units). */
  private utf8Span(chars: number): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let kind = ASCII;
    for (let c = 0; c < chars; c++) {
      if (p >= end) throw truncated();
      const b = buf[p] as number;
      if (b < 0x80) p += 1;
      else {
        if (kind === ASCII) kind = UTF8;
        if (b < 0xe0) p += 2;
        else if (b < 0xf0) {
          // 0xed 0xa0..0xbf: a surrogate written on its own, as Java does.
          if (b === 0xed && ((buf[p + 1] ?? 0) & 0xe0) === 0xa0) kind = JAVA_UTF8;
          p += 3;
        } else {
          p += 4;
          c++;
        }
      }
    }
    if (p > end) throw truncated();
    this.pos = p;
    return kind;
  }

  private utf8(chars: number): string {
    const start = this.pos;
    const kind = this.utf8Span(chars);
    if (kind === JAVA_UTF8) return decodeJavaUtf8(this.buf, start, this.pos);
    return kind === ASCII ? asciiString(this.buf, start, this.pos) : this.buf.toString('utf8', start, this.pos);
  }
}

export function isLongStart(code: number): boolean {
  return (code >= 0xd8 && code <= 0xff) || (code >= 0x38 && code <= 0x3f) || code === 0x59 || code === 0x4c;
}

function truncated(): RpcProtocolError {
  return new RpcProtocolError('dubbo: hessian value runs past the end of the body');
}

function unexpected(what: string, code: number): RpcProtocolError {
  return new RpcProtocolError(`dubbo: expected a hessian ${what}, got byte 0x${code.toString(16)}`);
}
