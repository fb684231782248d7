import { javaUtf8 } from './java-utf8.js';

/** Hessian 2 string chunks carry at most this many UTF-16 units. */
const CHUNK_UNITS = 0x8000;

/** The Hessian 2 encoding of a string (length counted in UTF-16 units, as Java writes it). */
export function hessianString(value: string): Buffer {
  const units = value.length;
  if (units < 1024) {
    const utf = javaUtf8(value);
    const prefix = units < 32 ? 1 : 2;
    const out = Buffer.allocUnsafe(prefix + utf.length);
    if (prefix === 1) out[0] = units;
    else {
      out[0] = 0x30 + (units >> 8);
      out[1] = units & 0xff;
    }
    utf.copy(out, prefix);
    return out;
  }
  const parts: Buffer[] = [];
  let start = 0;
  while (start < units) {
    let end = Math.min(start + CHUNK_UNITS, units);
    // A chunk may not end between the two halves of a surrogate pair.
    if (end < units && isHighSurrogate(value.charCodeAt(end - 1))) end--;
    const text = value.slice(start, end);
    const head = Buffer.allocUnsafe(3);
    head[0] = end === units ? 0x53 : 0x52;
    head.writeUInt16BE(end - start, 1);
    parts.push(head, javaUtf8(text));
    start = end;
  }
  return Buffer.concat(parts);
}

/** A compact Hessian 2 int (only the single-byte range is needed: Dubbo response types 0..5). */
export function hessianSmallInt(value: number): number {
  if (value < -16 || value > 47) throw new RangeError(`hessian small int out of range: ${value}`);
  return 0x90 + value;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export const HESSIAN_NULL = 0x4e;
export const HESSIAN_UNTYPED_MAP = 0x48;
export const HESSIAN_END = 0x5a;
