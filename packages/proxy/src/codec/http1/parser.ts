/**
 * Weft's HTTP/1.1 parser (RFC 9112, strict), for requests (downstream) and responses (upstream).
 *
 * An explicit state machine driven by `execute(buffer)`: heads and trailers are read by HeadReader, bodies are
 * delivered here as `subarray` views, and pause()/resume() may be called from any callback. Every framing decision
 * (Content-Length vs Transfer-Encoding, chunk sizes, CRLFs) is checked byte-exactly; anything ambiguous is an error,
 * because a proxy that reads a message differently from its upstream is a request-smuggling vector.
 */
import { CR, LF } from './char-tables.js';
import { EMPTY, HeadReader } from './head-reader.js';
import {
  S_BODY_CLOSE,
  S_BODY_LENGTH,
  S_CHUNK_DATA,
  S_CHUNK_DATA_CR,
  S_CHUNK_DATA_LF,
  S_CHUNK_LINE,
  S_DEAD,
  S_HEADERS,
  S_MSG_DONE,
  S_START,
  S_TRAILERS,
  S_UPGRADED,
} from './parser-states.js';

export type { Http1ParserHandler, Http1ParserLimits, ParserKind, RequestHead, ResponseHead } from './types.js';
export { Http1ParseError, type Http1ErrorCode, type Http1ErrorStatus } from './errors.js';
export { DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS } from './head-reader.js';

/** A scratch buffer grown beyond this by a large head is dropped after its message instead of kept per connection. */
const SCRATCH_KEEP_BYTES = 16 * 1024;

/** `new Http1Parser(kind, handler, limits?)`; one instance per connection (see reset() to reuse one). */
export class Http1Parser extends HeadReader {
  private isPaused = false;
  private executing = false;
  private eofPending = false;
  private remainder: Buffer | undefined = undefined;

  get paused(): boolean {
    return this.isPaused;
  }

  /** Between messages with no partial or queued bytes (a connection in this state may be closed or reused). */
  get idle(): boolean {
    return this.state === S_START && this.scratchLen === 0 && this.queue.length === 0;
  }

  /** Bytes received but not yet parsed: kept while paused, plus a partial head line (for backpressure decisions). */
  get bufferedBytes(): number {
    let n = this.scratchLen;
    const q = this.queue;
    for (let i = 0; i < q.length; i++) n += (q[i] as Buffer).length;
    return n;
  }

  /** True after an error or finish(): input is ignored. */
  get dead(): boolean {
    return this.state === S_DEAD;
  }

  /** True after an upgrade/CONNECT head: input is no longer parsed (see takeRemainder). */
  get upgraded(): boolean {
    return this.state === S_UPGRADED;
  }

  /** Feeds bytes; callbacks run synchronously. The buffer must not be modified afterwards (bodies are views). */
  execute(data: Buffer): void {
    const state = this.state;
    if (this.executing) {
      // Re-entrant call from a callback: after the bytes being parsed, in order (drain() handles any state).
      if (data.length !== 0 && state !== S_DEAD) this.queue.push(data);
      return;
    }
    if (state >= S_UPGRADED) {
      if (state === S_UPGRADED && data.length !== 0) this.addRemainder(data);
      return;
    }
    if (this.isPaused || this.queue.length !== 0) {
      if (data.length !== 0) this.queue.push(data);
      return;
    }
    this.executing = true;
    try {
      this.run(data);
      if (this.queue.length !== 0 || this.eofPending) this.drain();
    } finally {
      this.executing = false;
    }
  }

  /**
   * The peer closed its side. Completes a response body delimited by close; errors (PREMATURE_EOF) in the middle of
   * any other message. Afterwards the parser is dead. While paused, takes effect once the queued bytes are processed.
   */
  finish(): void {
    if (this.state === S_DEAD) return;
    if (this.executing || this.isPaused || this.queue.length !== 0) {
      this.eofPending = true;
      return;
    }
    this.executing = true;
    try {
      this.finishNow();
    } finally {
      this.executing = false;
    }
  }

  /** Stops callbacks after the current one; later bytes are kept (as views) until resume(). */
  pause(): void {
    this.isPaused = true;
  }

  /** Processes what was kept, synchronously. From inside a callback it just lets the current execute() go on. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    if (this.executing) return;
    this.executing = true;
    try {
      this.drain();
    } finally {
      this.executing = false;
    }
  }

  /** Response parser: the next final response answers a HEAD request and has no body whatever its headers say. */
  expectNoBody(): void {
    this.noBodyNext = true;
  }

  /** Response parser: the next final response answers CONNECT; a 2xx ends at its head and the connection tunnels. */
  expectTunnel(): void {
    this.tunnelNext = true;
  }

  /**
   * After an upgrade head: the bytes that followed it (and any fed since), for the tunnel. Clears them.
   * Node socket buffers are never reused, so the returned view may be kept.
   */
  takeRemainder(): Buffer | undefined {
    const rest = this.remainder;
    this.remainder = undefined;
    return rest;
  }

  /**
   * After an upgrade head the caller chose not to honour (no upgrade configured for the route): parse the message
   * on as an ordinary one, with its Content-Length/chunked body, including the bytes kept for the tunnel.
   */
  declineUpgrade(): void {
    if (this.state !== S_UPGRADED) return;
    this.state = this.pendingBodyState;
    const rest = this.remainder;
    this.remainder = undefined;
    if (rest !== undefined) this.queue.unshift(rest);
    if (this.executing || this.isPaused) return;
    this.executing = true;
    try {
      this.drain();
    } finally {
      this.executing = false;
    }
  }

  /** Makes the parser reusable for a new connection (not from inside a callback). */
  reset(): void {
    this.state = S_START;
    this.isPaused = false;
    this.executing = false;
    this.queue.length = 0;
    this.eofPending = false;
    this.remainder = undefined;
    this.scratchLen = 0;
    if (this.scratch.length > SCRATCH_KEEP_BYTES) this.scratch = EMPTY;
    this.sectionDone = false;
    this.noBodyNext = false;
    this.tunnelNext = false;
    this.resetMessage();
  }

  // ---- driving ----

  private run(data: Buffer): void {
    const end = data.length;
    let pos = 0;
    this.winBuf = undefined; // also covers a previous run that a throwing handler cut short
    for (;;) {
      const state = this.state;
      if (this.isPaused || state >= S_UPGRADED) break;
      if (state === S_MSG_DONE) {
        this.complete();
        continue;
      }
      if (pos >= end) break;
      switch (state) {
        case S_START:
        case S_HEADERS:
        case S_TRAILERS:
          pos = this.parseLines(data, pos, end);
          break;
        case S_BODY_LENGTH:
        case S_CHUNK_DATA: {
          const rem = this.remaining;
          const n = end - pos < rem ? end - pos : rem;
          this.remaining = rem - n;
          if (rem === n) this.state = state === S_BODY_LENGTH ? S_MSG_DONE : S_CHUNK_DATA_CR;
          const chunk = pos === 0 && n === end ? data : data.subarray(pos, pos + n);
          pos += n;
          this.handler.onBody(chunk);
          break;
        }
        case S_CHUNK_LINE: {
          const cl = this.chunkLine;
          pos = cl.feed(data, pos, end);
          if (cl.error !== undefined) this.fail(cl.error);
          else if (cl.done) {
            if (cl.size === 0) {
              this.state = S_TRAILERS;
              this.headBytes = 0;
            } else {
              this.remaining = cl.size;
              this.state = S_CHUNK_DATA;
            }
          }
          break;
        }
        case S_CHUNK_DATA_CR:
          if (data[pos] !== CR) this.fail(data[pos] === LF ? 'WEFT_ERR_HTTP1_BARE_LF' : 'WEFT_ERR_HTTP1_INVALID_CHUNK_END');
          else {
            pos++;
            this.state = S_CHUNK_DATA_LF;
          }
          break;
        case S_CHUNK_DATA_LF:
          if (data[pos] !== LF) this.fail('WEFT_ERR_HTTP1_BARE_CR');
          else {
            pos++;
            this.chunkLine.reset();
            this.state = S_CHUNK_LINE;
          }
          break;
        case S_BODY_CLOSE: {
          const chunk = pos === 0 ? data : data.subarray(pos);
          pos = end;
          this.handler.onBody(chunk);
          break;
        }
      }
    }
    this.winBuf = undefined;
    if (pos < end) {
      if (this.state === S_UPGRADED) this.addRemainder(pos === 0 ? data : data.subarray(pos));
      else if (this.state !== S_DEAD) this.queue.unshift(pos === 0 ? data : data.subarray(pos));
    }
  }

  /** Processes queued input until paused, dead, upgraded or out of input; then a pending finish(). */
  private drain(): void {
    const q = this.queue;
    while (!this.isPaused) {
      const state = this.state;
      if (state >= S_UPGRADED) {
        if (state === S_UPGRADED) for (const b of q) this.addRemainder(b);
        q.length = 0;
        return;
      }
      if (q.length === 0) {
        if (state === S_MSG_DONE) {
          this.run(EMPTY);
          continue;
        }
        if (this.eofPending) this.finishNow();
        return;
      }
      let data: Buffer;
      if (q.length === 1) data = q.pop() as Buffer;
      else {
        data = Buffer.concat(q);
        q.length = 0;
      }
      this.run(data);
    }
  }

  private finishNow(): void {
    this.eofPending = false;
    switch (this.state) {
      case S_BODY_CLOSE:
        this.state = S_MSG_DONE;
        this.run(EMPTY);
        if (this.state === S_START) this.state = S_DEAD;
        else if (this.state === S_MSG_DONE) this.eofPending = true; // paused in the last onBody: finish on resume
        return;
      case S_START:
        if (this.scratchLen !== 0) this.fail('WEFT_ERR_HTTP1_PREMATURE_EOF');
        else this.state = S_DEAD;
        return;
      case S_UPGRADED:
      case S_DEAD:
        return;
      default:
        this.fail('WEFT_ERR_HTTP1_PREMATURE_EOF');
    }
  }

  private complete(): void {
    this.state = S_START;
    this.resetMessage();
    if (this.scratch.length > SCRATCH_KEEP_BYTES) this.scratch = EMPTY;
    this.handler.onMessageComplete();
  }

  private addRemainder(data: Buffer): void {
    this.remainder = this.remainder === undefined ? data : Buffer.concat([this.remainder, data]);
  }
}
