/**
 * Interpretation of the header fields that decide framing and connection handling, read straight from the bytes of
 * an already-validated, OWS-trimmed field value (no intermediate strings).
 */
import { ascii, COMMA, equalsLowerAscii, HTAB, SEMI, SP, TOKEN } from './char-tables.js';

const CHUNKED = ascii('chunked');
const CLOSE = ascii('close');
const KEEP_ALIVE = ascii('keep-alive');
const UPGRADE = ascii('upgrade');
const CONTINUE = ascii('100-continue');

export const CL_INVALID = -1;
export const CL_CONFLICT = -2;

// floor((2^53 - 1) / 10): beyond it one more digit would leave the exactly representable range.
const CL_MAX_DIV10 = 900719925474099;

/**
 * Content-Length = 1*DIGIT. A list of identical values (`5, 5`) is accepted as RFC 9110 §8.6 allows; differing
 * values give CL_CONFLICT; anything else (sign, inner spaces, empty, > 2^53 - 1) gives CL_INVALID.
 */
export function parseContentLength(buf: Buffer, s: number, e: number): number {
  let result = -1;
  let i = s;
  for (;;) {
    const start = i;
    let n = 0;
    while (i < e) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      if (n > CL_MAX_DIV10 || (n === CL_MAX_DIV10 && d > 1)) return CL_INVALID;
      n = n * 10 + d;
      i++;
    }
    if (i === start) return CL_INVALID;
    if (result === -1) result = n;
    else if (result !== n) return CL_CONFLICT;
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i === e) return result;
    if (buf[i] !== COMMA) return CL_INVALID;
    i++;
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
  }
}

export const TE_INVALID = -1;

/**
 * Transfer-Encoding = #transfer-coding. Returns TE_INVALID for a syntax error (empty list, non-token coding,
 * parameters on `chunked`, quoted parameters), else `(chunkedCount << 1) | (lastIsChunked ? 1 : 0)`.
 */
export function parseTransferEncoding(buf: Buffer, s: number, e: number): number {
  let i = s;
  let count = 0;
  let chunked = 0;
  let last = 0;
  for (;;) {
    while (i < e && (buf[i] === SP || buf[i] === HTAB || buf[i] === COMMA)) i++;
    if (i === e) break;
    const ts = i;
    while (i < e && TOKEN[buf[i] as number] !== 0) i++;
    if (i === ts) return TE_INVALID;
    const isChunked = equalsLowerAscii(buf, ts, i, CHUNKED);
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i < e && buf[i] === SEMI) {
      if (isChunked) return TE_INVALID;
      // Parameters of other codings are skipped; such a coding is never final-and-supported anyway.
      while (i < e && buf[i] !== COMMA) {
        if (buf[i] === 0x22) return TE_INVALID;
        i++;
      }
    } else if (i < e && buf[i] !== COMMA) {
      return TE_INVALID;
    }
    count++;
    if (isChunked) chunked++;
    last = isChunked ? 1 : 0;
  }
  if (count === 0) return TE_INVALID;
  return (chunked << 1) | last;
}

export const CONN_CLOSE = 1;
export const CONN_KEEP_ALIVE = 2;
export const CONN_UPGRADE = 4;

/** Connection = #connection-option; returns CONN_* bits for the options the parser acts on. */
export function parseConnection(buf: Buffer, s: number, e: number): number {
  // The usual values, whole: one comparison instead of the list scan.
  const n = e - s;
  if (n === 10 && equalsLowerAscii(buf, s, e, KEEP_ALIVE)) return CONN_KEEP_ALIVE;
  if (n === 5 && equalsLowerAscii(buf, s, e, CLOSE)) return CONN_CLOSE;
  let bits = 0;
  let i = s;
  while (i < e) {
    while (i < e && (buf[i] === SP || buf[i] === HTAB || buf[i] === COMMA)) i++;
    const ts = i;
    while (i < e && buf[i] !== COMMA && buf[i] !== SP && buf[i] !== HTAB) i++;
    const len = i - ts;
    if (len === 5 && equalsLowerAscii(buf, ts, i, CLOSE)) bits |= CONN_CLOSE;
    else if (len === 10 && equalsLowerAscii(buf, ts, i, KEEP_ALIVE)) bits |= CONN_KEEP_ALIVE;
    else if (len === 7 && equalsLowerAscii(buf, ts, i, UPGRADE)) bits |= CONN_UPGRADE;
  }
  return bits;
}

export function isContinueExpectation(buf: Buffer, s: number, e: number): boolean {
  return equalsLowerAscii(buf, s, e, CONTINUE);
}
