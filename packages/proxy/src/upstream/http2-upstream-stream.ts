import { encodeHeaderMap, contentLengthOf, sendableHeaderMap, validResponseFields, validTrailerFields } from '../codec/http2/fields.js';
import { NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM } from '../codec/http2/frames.js';
import type { H2Stream } from '../codec/http2/h2-stream.js';
import { CLOSE_CONNECTION, CLOSE_DONE, CLOSE_LOCAL_RESET, type Http2Session } from '../codec/http2/session.js';
import { decodeRawHeaders } from '../codec/http2/headers.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { UpstreamRequestLine, UpstreamResetReason, UpstreamStream, UpstreamStreamCallbacks } from '../interfaces/upstream-stream.js';

const EMPTY = Buffer.alloc(0);

/** What a stream reports to the connection that carries it. */
export interface Http2StreamHost {
  readonly session: Http2Session<Http2UpstreamStream>;
  readonly localAddress: string;
  /** The connection is closing on a protocol error (or flood): its streams reset as protocol_error, as Envoy's codec client. */
  readonly protocolError: boolean;
  /** The stream is over (response complete, reset or connection lost). */
  onStreamDone(stream: Http2UpstreamStream): void;
  /** A reset we sent (`local`) or received, for the `http2.tx_reset` / `http2.rx_reset` codec stats. */
  onStreamReset(local: boolean): void;
  /** A malformed response (or one the session reset for breaking the protocol): `http2.rx_messaging_error`. */
  onMalformedResponse(): void;
  /** The stream could not be opened (stream limit, GOAWAY, or headers HTTP/2 cannot carry). */
  onStreamOpenFailed(stream: Http2UpstreamStream): void;
}

/**
 * One request/response exchange on a multiplexed upstream HTTP/2 connection (Weft's own codec), as the router's
 * protocol-agnostic UpstreamStream. The connection dispatches the session's events for `h2` here.
 */
export class Http2UpstreamStream implements UpstreamStream {
  readonly protocol = 'HTTP/2';
  /** GOAWAY tells which streams were never processed: no keep-alive race here. */
  readonly staleConnection = false;
  h2: H2Stream<Http2UpstreamStream> | undefined;
  private responseStarted = false;
  private responseEnded = false;
  private done = false;
  private localReset = false;
  /** A HEAD response has no body, whatever its content-length says. */
  private headRequest = false;

  constructor(
    private readonly conn: Http2StreamHost,
    private readonly callbacks: UpstreamStreamCallbacks,
    /** The connection's key for this stream in its table. */
    readonly tableKey: number,
  ) {}

  get localAddress(): string {
    return this.conn.localAddress;
  }

  encodeHeaders(line: UpstreamRequestLine, headers: HeaderMap, endStream: boolean): void {
    if (this.h2 !== undefined || this.done) return;
    const session = this.conn.session;
    const h2 = sendableHeaderMap(headers) ? session.openStream() : null;
    if (h2 === null) {
      this.done = true;
      this.conn.onStreamOpenFailed(this);
      process.nextTick(reportFailure, this.callbacks);
      return;
    }
    this.h2 = h2;
    h2.user = this;
    this.headRequest = line.method === 'HEAD';
    const enc = session.hpackOut;
    const w = session.headerBlock(h2);
    enc.encode(w, ':method', line.method);
    enc.encode(w, ':scheme', line.scheme);
    enc.encode(w, ':authority', line.authority);
    if (line.method !== 'CONNECT') enc.encode(w, ':path', line.path);
    encodeHeaderMap(enc, w, headers, true);
    session.sendHeaders(h2, endStream);
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const h2 = this.h2;
    if (h2 === undefined || h2.closed || h2.localEnded) return true;
    return this.conn.session.sendData(h2, data, endStream);
  }

  encodeTrailers(trailers: HeaderMap): void {
    const h2 = this.h2;
    if (h2 === undefined || h2.closed || h2.localEnded) return;
    const session = this.conn.session;
    if (trailers.size === 0 || !sendableHeaderMap(trailers)) {
      session.sendData(h2, EMPTY, true);
      return;
    }
    encodeHeaderMap(session.hpackOut, session.headerBlock(h2), trailers);
    session.sendHeaders(h2, true);
  }

  readDisable(disable: boolean): void {
    const h2 = this.h2;
    if (h2 !== undefined && !h2.closed) this.conn.session.setReadDisabled(h2, disable);
  }

  /** Abandon: RST_STREAM (the connection stays up for other streams). No callback follows. */
  reset(): void {
    if (this.done) return;
    this.localReset = true;
    const h2 = this.h2;
    this.finish();
    if (h2 !== undefined && !h2.closed) {
      this.conn.onStreamReset(true);
      this.conn.session.resetStream(h2, NO_ERROR);
    }
  }

  // ---- session events (dispatched by the connection) ----

  headers(fields: string[], endStream: boolean): void {
    if (this.done) return;
    if (this.responseStarted) {
      // Trailers end the stream and carry no pseudo-headers (RFC 9113 §8.1).
      if (!endStream || !validTrailerFields(fields, this.conn.session.fieldsChecked)) return this.malformed();
      this.responseEnded = true;
      this.callbacks.onUpstreamTrailers(decodeRawHeaders(fields, this.conn.session.neverIndexed));
      this.finish();
      return;
    }
    if (!validResponseFields(fields, this.conn.session.fieldsChecked)) return this.malformed();
    const status = Number(fields[1]);
    if (status < 200) {
      // Interim 1xx: absorbed; one that ends the stream is malformed (§8.1).
      if (endStream) this.malformed();
      return;
    }
    const length = contentLengthOf(fields);
    if (length === -2) return this.malformed();
    // A body must match its content-length (§8.1.1), except where the response has no body whatever it says.
    const h2 = this.h2;
    if (h2 !== undefined && length >= 0 && !this.headRequest && status !== 204 && status !== 304) {
      if (endStream && length > 0) return this.malformed();
      h2.expectedLength = length;
    }
    this.responseStarted = true;
    if (endStream) this.responseEnded = true;
    this.callbacks.onUpstreamHeaders(status, decodeRawHeaders(fields, this.conn.session.neverIndexed), endStream);
    if (endStream) this.finish();
  }

  headersTooLarge(): void {
    this.protocolError();
  }

  data(chunk: Buffer, endStream: boolean): void {
    if (this.done) return;
    if (endStream) this.responseEnded = true;
    this.callbacks.onUpstreamData(chunk, endStream);
    if (endStream) this.finish();
  }

  writable(): void {
    if (!this.done) this.callbacks.onUpstreamWritable();
  }

  closed(reason: number, code: number): void {
    this.conn.onStreamDone(this);
    if (this.done || reason === CLOSE_DONE) return;
    let why: UpstreamResetReason;
    if (reason === CLOSE_CONNECTION) why = this.conn.protocolError ? 'protocol_error' : 'connection_termination';
    // The session reset the stream itself: the peer broke the protocol on it (a body longer than its
    // content-length, flow control, ...), which Envoy reports as a protocol error (UPE), not as a remote reset.
    else if (reason === CLOSE_LOCAL_RESET) {
      this.conn.onMalformedResponse();
      why = 'protocol_error';
    } else if (code === REFUSED_STREAM) why = 'remote_refused_stream';
    else why = 'remote_reset';
    if (reason !== CLOSE_CONNECTION) this.conn.onStreamReset(reason === CLOSE_LOCAL_RESET);
    this.finish();
    if (!this.localReset && !this.responseEnded) this.callbacks.onUpstreamReset(why, '');
  }

  /** A response the peer got wrong: counted (`http2.rx_messaging_error`), reset, reported as a protocol error. */
  private malformed(): void {
    this.conn.onMalformedResponse();
    this.protocolError();
  }

  private protocolError(): void {
    const h2 = this.h2;
    this.finish();
    if (h2 !== undefined && !h2.closed) {
      this.conn.onStreamReset(true);
      this.conn.session.resetStream(h2, PROTOCOL_ERROR);
    }
    this.callbacks.onUpstreamReset('protocol_error', '');
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    // Otherwise the connection learns when the session closes the stream.
    if (this.h2 === undefined) this.conn.onStreamDone(this);
  }
}

function reportFailure(callbacks: UpstreamStreamCallbacks): void {
  callbacks.onUpstreamReset('local_reset', 'headers HTTP/2 cannot carry or no stream available');
}
