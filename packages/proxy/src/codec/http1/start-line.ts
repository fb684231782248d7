/**
 * Request-line and status-line parsing (RFC 9112 §3, §4) over a buffer range. Each function either consumes one whole
 * line (returning the index after its LF), asks for more bytes (NEED_MORE: only when the range ends before the LF),
 * or fails with `out.error` set. Because a failure is detected as soon as the offending byte is seen, a complete line
 * (one that ends in LF) never yields NEED_MORE.
 */
import { ascii, CR, FIELD_VALUE, LF, SP, TOKEN } from './char-tables.js';
import type { Http1ErrorCode } from './errors.js';

export const NEED_MORE = -1;
export const FAILED = -2;

/**
 * Reused output of the start-line parsers (one per parser instance). Strings are left to the caller (offsets into
 * the parsed buffer), which extracts them the cheapest way it knows.
 */
export class StartLine {
  methodStart = 0;
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  reasonStart = 0;
  reasonEnd = 0;
  status = 0;
  versionMinor: 0 | 1 = 1;
  error: Http1ErrorCode | undefined = undefined;
}

const HTTP_SLASH = ascii('HTTP/');

/**
 * Checks `HTTP/` DIGIT `.` DIGIT at buf[i]. Returns the version as major * 10 + minor, NEED_MORE, or FAILED (with
 * `malformed` as the error). Whether the version is supported is decided by the caller once the rest of the line
 * proved well-formed (505 is only for a well-formed line).
 */
function parseVersion(buf: Buffer, i: number, end: number, out: StartLine, malformed: Http1ErrorCode): number {
  for (let k = 0; k < 8; k++) {
    if (i + k >= end) return NEED_MORE;
    const b = buf[i + k] as number;
    const ok = k < 5 ? b === HTTP_SLASH[k] : k === 6 ? b === 0x2e : b >= 0x30 && b <= 0x39;
    if (!ok) {
      out.error = b === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : malformed;
      return FAILED;
    }
  }
  return ((buf[i + 5] as number) - 0x30) * 10 + ((buf[i + 7] as number) - 0x30);
}

/** Checks CRLF at buf[i]; returns the index after it, NEED_MORE or FAILED. */
function expectCrlf(buf: Buffer, i: number, end: number, out: StartLine, malformed: Http1ErrorCode): number {
  if (i >= end) return NEED_MORE;
  const b = buf[i];
  if (b !== CR) {
    out.error = b === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : malformed;
    return FAILED;
  }
  if (i + 1 >= end) return NEED_MORE;
  if (buf[i + 1] !== LF) {
    out.error = 'WEFT_ERR_HTTP1_BARE_CR';
    return FAILED;
  }
  return i + 2;
}

/** request-line = method SP request-target SP HTTP-version CRLF, exactly one SP each. */
export function parseRequestLine(buf: Buffer, p: number, end: number, out: StartLine): number {
  let i = p;
  while (i < end) {
    const c = buf[i] as number;
    if (TOKEN[c] === 0) break;
    i++;
  }
  if (i >= end) return NEED_MORE;
  if (i === p || buf[i] !== SP) {
    out.error = buf[i] === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_METHOD';
    return FAILED;
  }
  const methodEnd = i;
  const targetStart = ++i;
  // The TARGET class without a lookup: visible ASCII is exactly 0x21..0x7e.
  for (let c = 0; i < end && (c = buf[i] as number) > 0x20 && c < 0x7f; ) i++;
  if (i >= end) return NEED_MORE;
  if (i === targetStart || buf[i] !== SP) {
    out.error = buf[i] === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_TARGET';
    return FAILED;
  }
  const targetEnd = i++;
  const version = parseVersion(buf, i, end, out, 'WEFT_ERR_HTTP1_INVALID_VERSION');
  if (version < 0) return version;
  const next = expectCrlf(buf, i + 8, end, out, 'WEFT_ERR_HTTP1_INVALID_VERSION');
  if (next < 0) return next;
  if (version !== 10 && version !== 11) {
    out.error = 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION';
    return FAILED;
  }
  out.methodStart = p;
  out.methodEnd = methodEnd;
  out.targetStart = targetStart;
  out.targetEnd = targetEnd;
  out.versionMinor = version === 11 ? 1 : 0;
  return next;
}

/**
 * status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF. Like most clients we also accept a missing SP
 * before an empty reason (`HTTP/1.1 200\r\n`), which real servers send.
 */
export function parseStatusLine(buf: Buffer, p: number, end: number, out: StartLine): number {
  const version = parseVersion(buf, p, end, out, 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE');
  if (version < 0) return version;
  let i = p + 8;
  if (i >= end) return NEED_MORE;
  if (buf[i] !== SP) {
    out.error = buf[i] === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE';
    return FAILED;
  }
  let status = 0;
  for (let k = 1; k <= 3; k++) {
    if (i + k >= end) return NEED_MORE;
    const b = buf[i + k] as number;
    const d = b - 0x30;
    if (d < 0 || d > 9) {
      out.error = b === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE';
      return FAILED;
    }
    status = status * 10 + d;
  }
  i += 4;
  if (i >= end) return NEED_MORE;
  let reasonStart = i;
  let reasonEnd = i;
  if (buf[i] === SP) {
    reasonStart = ++i;
    while (i < end && FIELD_VALUE[buf[i] as number] !== 0) i++;
    reasonEnd = i;
  }
  const next = expectCrlf(buf, i, end, out, 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE');
  if (next < 0) return next;
  if (status < 100) {
    out.error = 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE';
    return FAILED;
  }
  if (version !== 10 && version !== 11) {
    out.error = 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION';
    return FAILED;
  }
  out.status = status;
  out.reasonStart = reasonStart;
  out.reasonEnd = reasonEnd;
  out.versionMinor = version === 11 ? 1 : 0;
  return next;
}
