/**
 * The head half of the HTTP/1.1 parser: start lines, header and trailer field lines, the fields that decide framing,
 * and the framing decision itself. Http1Parser (parser.ts) extends it with the input driver, bodies and flow control.
 *
 * Lines are parsed straight out of the input buffer; only a line split across two `execute` calls is copied, into
 * a scratch buffer completed with a native `indexOf(LF)` over the new bytes (plus an incremental prefix check so
 * errors surface as early as with whole input), so no byte is scanned more than a few times whatever the split.
 */
import { HeaderMap } from '../../interfaces/header-map.js';
import { ChunkLineParser } from './chunk-line.js';
import { latin1 } from '../common/latin1.js';
import { COLON, CR, HTAB, LF, SP, TOKEN } from './char-tables.js';
import { Http1ParseError, type Http1ErrorCode } from './errors.js';
import {
  CL_CONFLICT,
  CL_INVALID,
  CONN_CLOSE,
  CONN_KEEP_ALIVE,
  CONN_UPGRADE,
  TE_INVALID,
  isContinueExpectation,
  parseConnection,
  parseContentLength,
  parseTransferEncoding,
} from './field-values.js';
import {
  H_CONNECTION,
  H_CONTENT_LENGTH,
  H_EXPECT,
  H_HOST,
  H_SPECIAL_END,
  H_TRANSFER_ENCODING,
  H_UPGRADE,
  KNOWN_HEADER_LENGTHS,
  KNOWN_HEADER_NAMES,
  matchHeaderName,
  lookupMethod,
} from './known-names.js';
import { LINE_FIELD, LINE_REQUEST, LINE_STATUS, LinePrefixCheck } from './line-prefix.js';
import { S_BODY_CLOSE, S_BODY_LENGTH, S_CHUNK_LINE, S_DEAD, S_HEADERS, S_MSG_DONE, S_START, S_TRAILERS, S_UPGRADED } from './parser-states.js';
import { FAILED, NEED_MORE, StartLine, parseRequestLine, parseStatusLine } from './start-line.js';
import type { Http1ParserHandler, Http1ParserLimits, ParserKind, RequestHead, ResponseHead } from './types.js';

export const DEFAULT_MAX_HEADER_BYTES = 60 * 1024;
export const DEFAULT_MAX_HEADERS = 100;
/** RFC 9112 §2.2: ignore at least one empty line before a request line. We ignore a few, then call it garbage. */
const MAX_LEADING_EMPTY_LINES = 8;
export const EMPTY = Buffer.alloc(0);
/** Bytes converted at once for string extraction: covers most heads, costs ~110 ns when the input is larger. */
const TEXT_WINDOW = 1024;

export abstract class HeadReader {
  private readonly isRequest: boolean;
  protected readonly handler: Http1ParserHandler;
  private readonly maxHeaderBytes: number;
  private readonly maxHeaders: number;

  protected state = S_START;
  /** Input not yet processed because of pause() (or re-entrant execute), oldest first. */
  protected readonly queue: Buffer[] = [];
  protected scratch: Buffer = EMPTY;
  protected scratchLen = 0;
  protected sectionDone = false;
  private readonly prefix = new LinePrefixCheck();

  /**
   * Strings are cut from one latin1 conversion of a window of the current input (`str.slice` stays inside V8)
   * instead of one C++ `latin1Slice` call per field, which costs ~50 ns each. Valid during one run() only, since a
   * caller may legitimately reuse a Buffer object for later input.
   */
  protected winBuf: Buffer | undefined = undefined;
  private winStr = '';
  private winStart = 0;
  private winEnd = 0;

  // The message being parsed.
  private readonly line = new StartLine();
  private method = '';
  private target = '';
  private reason = '';
  private headers = new HeaderMap();
  private trailers: HeaderMap | undefined = undefined;
  protected headBytes = 0;
  private leadingEmpty = 0;
  private contentLength = -1;
  private teSeen = false;
  private teChunked = 0;
  private teLastChunked = false;
  private connBits = 0;
  private hasUpgradeHeader = false;
  private hostCount = 0;
  private expectContinue = false;
  protected remaining = 0;
  protected pendingBodyState = S_MSG_DONE;
  protected readonly chunkLine = new ChunkLineParser();
  // Response parser: what the matching request implies for the next final response.
  protected noBodyNext = false;
  protected tunnelNext = false;


  constructor(kind: ParserKind, handler: Http1ParserHandler, limits?: Http1ParserLimits) {
    this.isRequest = kind === 'request';
    this.handler = handler;
    this.maxHeaderBytes = limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxHeaders = limits?.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  protected resetMessage(): void {
    this.trailers = undefined;
    this.headBytes = 0;
    this.leadingEmpty = 0;
    this.contentLength = -1;
    this.teSeen = false;
    this.teChunked = 0;
    this.teLastChunked = false;
    this.connBits = 0;
    this.hasUpgradeHeader = false;
    this.hostCount = 0;
    this.expectContinue = false;
    this.remaining = 0;
  }

  protected fail(code: Http1ErrorCode): number {
    if (this.state === S_DEAD) return FAILED;
    this.state = S_DEAD;
    this.queue.length = 0;
    this.scratchLen = 0;
    this.handler.onError(new Http1ParseError(code, this.headBytes));
    return FAILED;
  }

  /** latin1 text of buf[s, e), through the current window when possible. */
  private text(buf: Buffer, s: number, e: number): string {
    if (buf === this.winBuf && s >= this.winStart && e <= this.winEnd) {
      return this.winStr.slice(s - this.winStart, e - this.winStart);
    }
    if (buf === this.scratch) return latin1(buf, s, e);
    const we = e - s > TEXT_WINDOW ? e : Math.min(buf.length, s + TEXT_WINDOW);
    this.winBuf = buf;
    this.winStart = s;
    this.winEnd = we;
    this.winStr = latin1(buf, s, we);
    return this.winStr.slice(0, e - s);
  }

  // ---- head and trailer lines ----

  /** Parses whole lines of the head/trailer section from data[pos, end); returns the position reached. */
  protected parseLines(data: Buffer, pos: number, end: number): number {
    for (;;) {
      if (this.scratchLen !== 0) {
        // A line started in an earlier buffer: find its end among the new bytes only.
        const lf = data.indexOf(LF, pos);
        if (lf === -1) {
          this.appendScratch(data, pos, end, false);
          return end;
        }
        if (!this.appendScratch(data, pos, lf + 1, true)) return end;
        const len = this.scratchLen;
        this.scratchLen = 0;
        const r = this.parseLine(this.scratch, 0, len);
        if (r === NEED_MORE) this.fail('WEFT_ERR_HTTP1_BARE_LF'); // unreachable: a line ending in LF is decided
        if (r < 0) return end;
        pos = lf + 1;
      } else {
        const room = this.maxHeaderBytes - this.headBytes;
        const limit = end - pos > room ? pos + room : end;
        const r = this.parseLine(data, pos, limit);
        if (r === NEED_MORE) {
          if (limit < end) this.fail('WEFT_ERR_HTTP1_HEADERS_TOO_LARGE');
          else this.appendScratch(data, pos, end, false);
          return end;
        }
        if (r < 0) return end;
        pos = r;
      }
      if (this.sectionDone) {
        this.sectionDone = false;
        return pos;
      }
      if (pos >= end || this.state === S_DEAD) return pos;
    }
  }

  /**
   * Keeps data[s, e) of a line that is not complete in one input buffer. Reports what whole input would have: the
   * first error within the size limit (checked incrementally for an incomplete line), else 431 past the limit.
   */
  private appendScratch(data: Buffer, s: number, e: number, complete: boolean): boolean {
    if (this.scratchLen === 0) this.prefix.begin(this.state !== S_START ? LINE_FIELD : this.isRequest ? LINE_REQUEST : LINE_STATUS);
    const allowed = this.maxHeaderBytes - this.headBytes - this.scratchLen;
    if (e - s > allowed) {
      this.copyToScratch(data, s, s + allowed);
      if (this.parseLine(this.scratch, 0, this.scratchLen) !== FAILED) this.fail('WEFT_ERR_HTTP1_HEADERS_TOO_LARGE');
      return false;
    }
    if (!complete) {
      const bad = this.prefix.scan(data, s, e);
      this.copyToScratch(data, s, e);
      if (bad >= 0) {
        if (this.parseLine(this.scratch, 0, this.scratchLen) === FAILED) return false;
        this.prefix.disable(); // the checker was stricter than the parser: trust the parser
      }
      return true;
    }
    this.copyToScratch(data, s, e);
    return true;
  }

  private copyToScratch(data: Buffer, s: number, e: number): void {
    const need = this.scratchLen + (e - s);
    if (need > this.scratch.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2, 256));
      this.scratch.copy(grown, 0, 0, this.scratchLen);
      this.scratch = grown;
    }
    data.copy(this.scratch, this.scratchLen, s, e);
    this.scratchLen = need;
  }

  private parseLine(buf: Buffer, p: number, end: number): number {
    if (this.state === S_START) return this.parseStartLine(buf, p, end);
    return this.parseFieldLine(buf, p, end, this.state === S_TRAILERS);
  }

  private parseStartLine(buf: Buffer, p: number, end: number): number {
    const c0 = buf[p];
    if (c0 === CR || c0 === LF) {
      if (c0 === LF) return this.fail('WEFT_ERR_HTTP1_BARE_LF');
      if (p + 1 >= end) return NEED_MORE;
      if (buf[p + 1] !== LF) return this.fail('WEFT_ERR_HTTP1_BARE_CR');
      if (++this.leadingEmpty > MAX_LEADING_EMPTY_LINES) return this.fail('WEFT_ERR_HTTP1_TOO_MANY_EMPTY_LINES');
      return p + 2;
    }
    const line = this.line;
    const r = this.isRequest ? parseRequestLine(buf, p, end, line) : parseStatusLine(buf, p, end, line);
    if (r === FAILED) return this.fail(line.error ?? 'WEFT_ERR_HTTP1_INVALID_TARGET');
    if (r >= 0) {
      if (this.isRequest) {
        this.method = lookupMethod(buf, line.methodStart, line.methodEnd) ?? this.text(buf, line.methodStart, line.methodEnd);
        this.target = this.text(buf, line.targetStart, line.targetEnd);
      } else {
        this.reason = line.reasonEnd > line.reasonStart ? this.text(buf, line.reasonStart, line.reasonEnd) : '';
      }
      this.headBytes = r - p;
      this.headers = new HeaderMap();
      this.state = S_HEADERS;
    }
    return r;
  }

  /** field-line = field-name ":" OWS field-value OWS CRLF, or the empty line ending the section. */
  private parseFieldLine(buf: Buffer, p: number, end: number, trailer: boolean): number {
    let i = p;
    const c0 = buf[i];
    if (c0 === CR) {
      if (i + 1 >= end) return NEED_MORE;
      if (buf[i + 1] !== LF) return this.fail('WEFT_ERR_HTTP1_BARE_CR');
      this.headBytes += 2;
      this.sectionDone = true;
      if (trailer) this.finishTrailers();
      else this.finishHead();
      return i + 2;
    }
    if (c0 === SP || c0 === HTAB) return this.fail('WEFT_ERR_HTTP1_OBS_FOLD');
    const id = matchHeaderName(buf, p, end);
    if (id >= 0) {
      i += KNOWN_HEADER_LENGTHS[id] as number;
    } else {
      while (i < end && TOKEN[buf[i] as number] !== 0) i++;
      if (i >= end) return NEED_MORE;
      const c = buf[i];
      if (c !== COLON || i === p) {
        if (c === SP || c === HTAB) return this.fail('WEFT_ERR_HTTP1_WHITESPACE_BEFORE_COLON');
        return this.fail(c === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_HEADER_NAME');
      }
    }
    const nameEnd = i++;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    const vs = i;
    // field-vchar = VCHAR / obs-text, with SP/HTAB inside: find the first other byte (normally the line's CR). Four
    // bytes a round while none is a CTL or DEL: V8 re-checks the buffer's map and bounds and polls for interrupts on
    // every loop round, which costs more than the compares themselves.
    while (i + 4 <= end) {
      const a = buf[i] as number;
      const b = buf[i + 1] as number;
      const c = buf[i + 2] as number;
      const d = buf[i + 3] as number;
      if (a < 0x20 || b < 0x20 || c < 0x20 || d < 0x20 || a === 0x7f || b === 0x7f || c === 0x7f || d === 0x7f) break;
      i += 4;
    }
    for (;;) {
      if (i >= end) return NEED_MORE;
      const c = buf[i] as number;
      if (c >= 0x20 ? c === 0x7f : c !== HTAB) break;
      i++;
    }
    let ve = i;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    if (buf[i] !== CR) return this.fail(buf[i] === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE');
    if (i + 1 >= end) return NEED_MORE;
    if (buf[i + 1] !== LF) return this.fail('WEFT_ERR_HTTP1_BARE_CR');
    const next = i + 2;
    this.headBytes += next - p;
    if (this.headBytes > this.maxHeaderBytes) return this.fail('WEFT_ERR_HTTP1_HEADERS_TOO_LARGE');

    let map = this.headers;
    if (trailer) map = this.trailers ??= new HeaderMap();
    if (map.names.length >= this.maxHeaders) return this.fail('WEFT_ERR_HTTP1_TOO_MANY_HEADERS');
    if (id >= 0 && id < H_SPECIAL_END && !trailer) {
      const r = this.interpretField(id, buf, vs, ve);
      if (r < 0) return FAILED;
      if (r === 1) return next;
    }
    // Indexed stores, not push(): TurboFan left these two push() calls to the generic builtin (~1k instructions a
    // request, callgrind); an append at .length is an inlined keyed store.
    const names = map.names;
    const values = map.values;
    names[names.length] = id >= 0 ? (KNOWN_HEADER_NAMES[id] as string) : this.fieldName(buf, p, nameEnd);
    values[values.length] = ve > vs ? this.text(buf, vs, ve) : '';
    return next;
  }

  /** Acts on a framing/connection field. Returns 0 to store it as is, 1 when already stored, -1 on error. */
  private interpretField(id: number, buf: Buffer, vs: number, ve: number): number {
    switch (id) {
      case H_CONTENT_LENGTH: {
        const n = parseContentLength(buf, vs, ve);
        if (n === CL_INVALID) return this.fail('WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH');
        if (n === CL_CONFLICT || (this.contentLength !== -1 && this.contentLength !== n)) {
          return this.fail('WEFT_ERR_HTTP1_CONFLICTING_CONTENT_LENGTH');
        }
        // Identical repeats fold into one canonical entry, so whoever forwards the headers sends a single value.
        if (this.contentLength === -1) this.headers.add('content-length', String(n));
        this.contentLength = n;
        return 1;
      }
      case H_TRANSFER_ENCODING: {
        const r = parseTransferEncoding(buf, vs, ve);
        if (r === TE_INVALID) return this.fail('WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING');
        this.teSeen = true;
        this.teChunked += r >> 1;
        this.teLastChunked = (r & 1) === 1;
        return 0;
      }
      case H_CONNECTION:
        this.connBits |= parseConnection(buf, vs, ve);
        return 0;
      case H_HOST:
        this.hostCount++;
        return 0;
      case H_UPGRADE:
        this.hasUpgradeHeader = true;
        return 0;
      case H_EXPECT:
        if (isContinueExpectation(buf, vs, ve)) this.expectContinue = true;
        return 0;
      default:
        return 0;
    }
  }

  /** A name not in the known table, lower-cased only when it has an upper-case letter. */
  private fieldName(buf: Buffer, s: number, e: number): string {
    const name = this.text(buf, s, e);
    for (let i = s; i < e; i++) if (TOKEN[buf[i] as number] === 2) return name.toLowerCase();
    return name;
  }

  private finishTrailers(): void {
    this.state = S_MSG_DONE;
    const t = this.trailers;
    if (t !== undefined) this.handler.onTrailers(t);
  }

  private finishHead(): void {
    const line = this.line;
    const v11 = line.versionMinor === 1;
    if (this.teSeen) {
      if (this.contentLength !== -1) {
        this.fail('WEFT_ERR_HTTP1_CONTENT_LENGTH_AND_TRANSFER_ENCODING');
        return;
      }
      if (this.isRequest && !v11) {
        this.fail('WEFT_ERR_HTTP1_TRANSFER_ENCODING_IN_HTTP10');
        return;
      }
      // `chunked` at most once, and only as the final coding (RFC 9112 §6.1).
      if (this.teChunked > 1 || (this.teChunked === 1 && !this.teLastChunked)) {
        this.fail('WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING');
        return;
      }
      if (!this.teLastChunked && this.isRequest) {
        this.fail('WEFT_ERR_HTTP1_UNSUPPORTED_TRANSFER_ENCODING');
        return;
      }
    }
    const conn = this.connBits;
    const keepAlive = (conn & CONN_CLOSE) === 0 && (v11 || (conn & CONN_KEEP_ALIVE) !== 0);
    if (this.isRequest) this.finishRequestHead(v11, keepAlive);
    else this.finishResponseHead(keepAlive);
  }

  private finishRequestHead(v11: boolean, keepAlive: boolean): void {
    if (this.hostCount > 1) {
      this.fail('WEFT_ERR_HTTP1_MULTIPLE_HOST');
      return;
    }
    if (this.hostCount === 0 && v11) {
      this.fail('WEFT_ERR_HTTP1_MISSING_HOST');
      return;
    }
    const line = this.line;
    const chunked = this.teSeen;
    const upgrade = this.method === 'CONNECT' || (v11 && this.hasUpgradeHeader && (this.connBits & CONN_UPGRADE) !== 0);
    const bodyState = chunked ? S_CHUNK_LINE : this.contentLength > 0 ? S_BODY_LENGTH : S_MSG_DONE;
    this.enterBody(bodyState, upgrade);
    const head: RequestHead = {
      method: this.method,
      target: this.target,
      versionMinor: line.versionMinor,
      headers: this.headers,
      contentLength: this.contentLength,
      chunked,
      keepAlive,
      upgrade,
      expectContinue: v11 && this.expectContinue,
      headerBytes: this.headBytes,
    };
    this.handler.onRequestHead?.(head);
  }

  private finishResponseHead(keepAliveByHeaders: boolean): void {
    const line = this.line;
    const status = line.status;
    let keepAlive = keepAliveByHeaders;
    let chunked = false;
    let bodyState: number;
    let upgrade = false;
    if (status < 200 && status !== 101) {
      // Interim response: deliver it and read the next head; the final response still follows.
      this.state = S_START;
      const interim = this.responseHead(false, keepAlive, false);
      this.resetMessage();
      this.handler.onResponseHead?.(interim);
      return;
    }
    if (status === 101 || (this.tunnelNext && status >= 200 && status < 300)) {
      upgrade = true;
      bodyState = S_MSG_DONE;
    } else if (this.noBodyNext || status === 204 || status === 304) {
      bodyState = S_MSG_DONE;
    } else if (this.teSeen) {
      // RFC 9112 §6.3: a response whose final coding is not chunked is delimited by the connection closing.
      chunked = this.teLastChunked;
      bodyState = chunked ? S_CHUNK_LINE : S_BODY_CLOSE;
    } else if (this.contentLength !== -1) {
      bodyState = this.contentLength > 0 ? S_BODY_LENGTH : S_MSG_DONE;
    } else {
      bodyState = S_BODY_CLOSE;
    }
    if (bodyState === S_BODY_CLOSE) keepAlive = false;
    this.noBodyNext = false;
    this.tunnelNext = false;
    this.enterBody(bodyState, upgrade);
    this.handler.onResponseHead?.(this.responseHead(chunked, keepAlive, upgrade));
  }

  private responseHead(chunked: boolean, keepAlive: boolean, upgrade: boolean): ResponseHead {
    const line = this.line;
    return {
      status: line.status,
      reason: this.reason,
      versionMinor: line.versionMinor,
      headers: this.headers,
      contentLength: this.contentLength,
      chunked,
      keepAlive,
      upgrade,
      headerBytes: this.headBytes,
    };
  }

  /** Sets the state that follows the head, before the head callback (which may pause or decline the upgrade). */
  private enterBody(bodyState: number, upgrade: boolean): void {
    this.pendingBodyState = bodyState;
    this.remaining = this.contentLength;
    if (bodyState === S_CHUNK_LINE) this.chunkLine.reset();
    this.state = upgrade ? S_UPGRADED : bodyState;
  }
}
