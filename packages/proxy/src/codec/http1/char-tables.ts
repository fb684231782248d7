/**
 * Byte classification tables for the HTTP/1.1 parser (RFC 9110 §5.6.2, RFC 9112). Lookups into a Uint8Array are
 * the cheapest per-byte test V8 offers: one bounds-checked load, no branches on ranges.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const EQUALS = 0x3d;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;

/** tchar: 0 = not a token char, 1 = token char, 2 = upper-case ASCII letter (a token char that needs lower-casing). */
export const TOKEN = new Uint8Array(256);
for (const ch of "!#$%&'*+-.^_`|~") TOKEN[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 2;

/** field-value bytes: 0 = invalid (CTLs except HTAB, DEL), 1 = field-vchar (VCHAR / obs-text), 2 = SP or HTAB. */
export const FIELD_VALUE = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) FIELD_VALUE[c] = 1;
for (let c = 0x80; c <= 0xff; c++) FIELD_VALUE[c] = 1;
FIELD_VALUE[SP] = 2;
FIELD_VALUE[HTAB] = 2;

/**
 * request-target bytes: visible ASCII only (RFC 9112 §3.2 targets are URIs; non-ASCII must be percent-encoded, and
 * llhttp rejects raw UTF-8 too). SP, CTLs, DEL and bytes >= 0x80 end or invalidate the target.
 */
export const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;

/** Hex digit value, or -1. */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c <= 9; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x61 + c] = 10 + c;
  HEX[0x41 + c] = 10 + c;
}

/** qdtext / quoted-pair bytes inside a quoted-string (chunk extensions): 1 = allowed. */
export const QDTEXT = new Uint8Array(256);
QDTEXT[HTAB] = 1;
QDTEXT[SP] = 1;
QDTEXT[0x21] = 1;
for (let c = 0x23; c <= 0x5b; c++) QDTEXT[c] = 1;
for (let c = 0x5d; c <= 0x7e; c++) QDTEXT[c] = 1;
for (let c = 0x80; c <= 0xff; c++) QDTEXT[c] = 1;

/** Case-insensitive comparison of buf[s, e) with a lower-case ASCII literal given as bytes. */
export function equalsLowerAscii(buf: Buffer, s: number, e: number, lit: Uint8Array): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    const b = buf[s + i] as number;
    const c = lit[i] as number;
    // `| 0x20` lower-cases letters; for non-letters a match through it needs a CTL, which callers have rejected.
    if (b !== c && (b | 0x20) !== c) return false;
  }
  return true;
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}
