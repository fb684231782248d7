/**
 * Incremental parser of one chunk-size line (RFC 9112 §7.1):
 *   chunk-size [ chunk-ext ] CRLF
 *   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ),  chunk-ext-val = token / quoted-string
 * Byte-at-a-time so that a line split anywhere needs no buffering; extensions are validated and ignored.
 */
import { BACKSLASH, CR, DQUOTE, EQUALS, FIELD_VALUE, HEX, HTAB, LF, QDTEXT, SEMI, SP, TOKEN } from './char-tables.js';
import type { Http1ErrorCode } from './errors.js';

const P_FIRST_DIGIT = 0;
const P_DIGITS = 1;
const P_BWS_BEFORE_SEMI = 2;
const P_EXT_NAME_START = 3;
const P_EXT_NAME = 4;
const P_EXT_AFTER_NAME = 5;
const P_EXT_VALUE_START = 6;
const P_EXT_VALUE_TOKEN = 7;
const P_EXT_AFTER_VALUE = 8;
const P_EXT_QUOTED = 9;
const P_EXT_QUOTED_ESCAPE = 10;
const P_LF = 11;
const P_EXT_AFTER_QUOTED = 12;

// Above this a further hex digit could exceed 2^53 - 1.
const MAX_BEFORE_SHIFT = 2 ** 49 - 1;
/** A chunk line longer than this (leading zeros or extensions) is refused rather than scanned forever. */
export const MAX_CHUNK_LINE_BYTES = 4096;

export class ChunkLineParser {
  size = 0;
  /** Set when the whole line, CRLF included, has been consumed. */
  done = false;
  error: Http1ErrorCode | undefined = undefined;
  private phase = P_FIRST_DIGIT;
  private bytes = 0;

  reset(): void {
    this.size = 0;
    this.done = false;
    this.error = undefined;
    this.phase = P_FIRST_DIGIT;
    this.bytes = 0;
  }

  /** Consumes bytes of buf[pos, end) up to the end of the line; returns the new position. Check `done`/`error`. */
  feed(buf: Buffer, pos: number, end: number): number {
    let i = pos;
    let phase = this.phase;
    let size = this.size;
    // Never look past the line-length cap, so a split input fails exactly where whole input does.
    const allowance = MAX_CHUNK_LINE_BYTES - this.bytes;
    const stop = end - pos > allowance ? pos + allowance : end;
    while (i < stop) {
      const c = buf[i++] as number;
      if (phase === P_DIGITS || phase === P_FIRST_DIGIT) {
        const d = HEX[c] as number;
        if (d >= 0) {
          if (size > MAX_BEFORE_SHIFT) return this.fail('WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE', i);
          size = size * 16 + d;
          phase = P_DIGITS;
        } else if (phase === P_FIRST_DIGIT) {
          return this.fail(c === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE', i);
        } else if (c === CR) phase = P_LF;
        else if (c === SEMI) phase = P_EXT_NAME_START;
        else if (c === SP || c === HTAB) phase = P_BWS_BEFORE_SEMI;
        else return this.fail(c === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE', i);
      } else if (phase === P_LF) {
        if (c !== LF) return this.fail('WEFT_ERR_HTTP1_BARE_CR', i);
        this.size = size;
        this.done = true;
        return i;
      } else {
        phase = extensionStep(phase, c);
        if (phase < 0) return this.fail(c === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION', i);
      }
    }
    if (stop < end) return this.fail('WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION', i);
    this.bytes += i - pos;
    this.phase = phase;
    this.size = size;
    return i;
  }

  private fail(code: Http1ErrorCode, i: number): number {
    this.error = code;
    return i;
  }
}

/** One byte of the chunk-ext grammar; returns the next phase or -1. */
function extensionStep(phase: number, c: number): number {
  const ws = c === SP || c === HTAB;
  switch (phase) {
    case P_BWS_BEFORE_SEMI:
      return ws ? phase : c === SEMI ? P_EXT_NAME_START : -1;
    case P_EXT_NAME_START:
      return ws ? phase : TOKEN[c] !== 0 ? P_EXT_NAME : -1;
    case P_EXT_NAME:
      if (TOKEN[c] !== 0) return phase;
      if (c === EQUALS) return P_EXT_VALUE_START;
      if (c === SEMI) return P_EXT_NAME_START;
      if (c === CR) return P_LF;
      return ws ? P_EXT_AFTER_NAME : -1;
    case P_EXT_AFTER_NAME:
      return ws ? phase : c === EQUALS ? P_EXT_VALUE_START : c === SEMI ? P_EXT_NAME_START : -1;
    case P_EXT_VALUE_START:
      if (ws) return phase;
      if (c === DQUOTE) return P_EXT_QUOTED;
      return TOKEN[c] !== 0 ? P_EXT_VALUE_TOKEN : -1;
    case P_EXT_VALUE_TOKEN:
      if (TOKEN[c] !== 0) return phase;
      if (c === SEMI) return P_EXT_NAME_START;
      if (c === CR) return P_LF;
      return ws ? P_EXT_AFTER_VALUE : -1;
    case P_EXT_AFTER_VALUE:
      return ws ? phase : c === SEMI ? P_EXT_NAME_START : -1;
    case P_EXT_QUOTED:
      if (c === DQUOTE) return P_EXT_AFTER_QUOTED;
      if (c === BACKSLASH) return P_EXT_QUOTED_ESCAPE;
      return QDTEXT[c] === 1 ? phase : -1;
    case P_EXT_QUOTED_ESCAPE:
      return FIELD_VALUE[c] !== 0 ? P_EXT_QUOTED : -1;
    case P_EXT_AFTER_QUOTED:
      if (c === CR) return P_LF;
      return ws ? P_EXT_AFTER_VALUE : c === SEMI ? P_EXT_NAME_START : -1;
    default:
      return -1;
  }
}
