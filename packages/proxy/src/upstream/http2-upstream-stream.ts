import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } from '../server/lazy-builtins.js';
import { decodeRawHeaders, toNodeHeaders } from '../codec/http2/headers.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { UpstreamRequestLine, UpstreamResetReason, UpstreamStream, UpstreamStreamCallbacks } from '../interfaces/upstream-stream.js';

const EMPTY = Buffer.alloc(0);

/** What a stream reports to the connection that carries it. */
export interface Http2StreamHost {
  readonly session: ClientHttp2Session;
  readonly localAddress: string;
  /** The stream is over (response complete, reset or connection lost). */
  onStreamDone(stream: Http2UpstreamStream): void;
  /** A reset we sent (`local`) or received, for the `http2.tx_reset` / `http2.rx_reset` codec stats. */
  onStreamReset(local: boolean): void;
  /** The stream could not be opened (node refused the headers or the session went away). */
  onStreamOpenFailed(stream: Http2UpstreamStream): void;
}

/**
 * One request/response exchange on a multiplexed upstream HTTP/2 connection (node:http2 client stream), as the
 * router's protocol-agnostic UpstreamStream. Listeners are shared functions that find this object on the stream.
 */
export class Http2UpstreamStream implements UpstreamStream {
  readonly protocol = 'HTTP/2';
  h2s: ClientHttp2Stream | undefined;
  private trailers: OutgoingHttpHeaders | undefined;
  private responseEnded = false;
  private sawTrailers = false;
  private done = false;
  private localReset = false;

  constructor(
    private readonly conn: Http2StreamHost,
    private readonly callbacks: UpstreamStreamCallbacks,
  ) {}

  get localAddress(): string {
    return this.conn.localAddress;
  }

  encodeHeaders(line: UpstreamRequestLine, headers: HeaderMap, endStream: boolean): void {
    if (this.h2s !== undefined || this.done) return;
    const out: OutgoingHttpHeaders = { ':method': line.method, ':scheme': line.scheme, ':authority': line.authority };
    if (line.method !== 'CONNECT') out[':path'] = line.path;
    toNodeHeaders(headers, out);
    delete out['host'];
    let h2s: ClientHttp2Stream;
    try {
      h2s = this.conn.session.request(out, endStream ? END_STREAM : WAIT_FOR_TRAILERS);
    } catch (err) {
      this.done = true;
      this.conn.onStreamOpenFailed(this);
      process.nextTick(reportFailure, this.callbacks, err);
      return;
    }
    this.h2s = h2s;
    (h2s as Tagged)[OWNER] = this;
    h2s.on('response', onResponse);
    h2s.on('data', onData);
    h2s.on('trailers', onTrailers);
    h2s.on('end', onEnd);
    h2s.on('drain', onDrain);
    h2s.on('wantTrailers', onWantTrailers);
    h2s.on('close', onClose);
    h2s.on('error', noop);
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const h2s = this.h2s;
    if (h2s === undefined || h2s.destroyed || h2s.writableEnded) return true;
    if (endStream) {
      if (data.length > 0) h2s.end(data);
      else h2s.end();
      return !h2s.writableNeedDrain;
    }
    return h2s.write(data);
  }

  encodeTrailers(trailers: HeaderMap): void {
    const h2s = this.h2s;
    if (h2s === undefined || h2s.destroyed || h2s.writableEnded) return;
    this.trailers = toNodeHeaders(trailers, {});
    h2s.end();
  }

  readDisable(disable: boolean): void {
    const h2s = this.h2s;
    if (h2s === undefined || h2s.destroyed) return;
    if (disable) h2s.pause();
    else h2s.resume();
  }

  /** Abandon: RST_STREAM (the connection stays up for other streams). No callback follows. */
  reset(): void {
    if (this.done) return;
    this.localReset = true;
    const h2s = this.h2s;
    if (h2s !== undefined && !h2s.destroyed) {
      this.conn.onStreamReset(true);
      h2s.close(NGHTTP2_NO_ERROR);
    }
    this.finish();
  }

  // ---- node stream events ----

  response(status: number, flags: number, raw: string[]): void {
    if (this.done) return;
    const end = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    if (end) this.responseEnded = true;
    this.callbacks.onUpstreamHeaders(status, decodeRawHeaders(raw), end);
    if (end) this.finish();
  }

  data(chunk: Buffer): void {
    if (!this.done) this.callbacks.onUpstreamData(chunk, false);
  }

  trailersReceived(raw: string[]): void {
    if (this.done) return;
    this.sawTrailers = true;
    this.responseEnded = true;
    this.callbacks.onUpstreamTrailers(decodeRawHeaders(raw));
    this.finish();
  }

  end(): void {
    if (this.done || this.sawTrailers) return;
    // node also ends the readable side when the stream is closed under it (connection lost, reset): not END_STREAM.
    const rst = (this.h2s as ClientHttp2Stream).rstCode;
    if (this.conn.session.destroyed || (rst !== undefined && rst !== NGHTTP2_NO_ERROR)) return;
    this.responseEnded = true;
    this.callbacks.onUpstreamData(EMPTY, true);
    this.finish();
  }

  drain(): void {
    if (!this.done) this.callbacks.onUpstreamWritable();
  }

  wantTrailers(): void {
    const h2s = this.h2s as ClientHttp2Stream;
    const t = this.trailers;
    this.trailers = undefined;
    try {
      h2s.sendTrailers(t ?? {});
    } catch {
      h2s.close(NGHTTP2_NO_ERROR);
    }
  }

  closed(): void {
    this.conn.onStreamDone(this);
    if (this.done) return;
    const h2s = this.h2s as ClientHttp2Stream;
    let reason: UpstreamResetReason;
    if (h2s.rstCode === NGHTTP2_REFUSED_STREAM) reason = 'remote_refused_stream';
    else if (this.conn.session.destroyed) reason = 'connection_termination';
    else reason = 'remote_reset';
    if (reason !== 'connection_termination') this.conn.onStreamReset(false);
    this.finish();
    if (!this.localReset && !this.responseEnded) this.callbacks.onUpstreamReset(reason, '');
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    // Otherwise the connection learns on 'close' (node keeps the stream until both sides are closed).
    if (this.h2s === undefined) this.conn.onStreamDone(this);
  }
}

const OWNER = Symbol('weft.h2.upstream');
type Tagged = ClientHttp2Stream & { [OWNER]?: Http2UpstreamStream };
const END_STREAM = { endStream: true } as const;
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;

function owner(s: ClientHttp2Stream): Http2UpstreamStream {
  return (s as Tagged)[OWNER] as Http2UpstreamStream;
}
function onResponse(this: ClientHttp2Stream, h: IncomingHttpHeaders, flags: number, raw: string[]): void {
  owner(this).response(Number(h[':status']), flags, raw);
}
function onData(this: ClientHttp2Stream, chunk: Buffer): void {
  owner(this).data(chunk);
}
function onTrailers(this: ClientHttp2Stream, _h: unknown, _f: number, raw: string[]): void {
  owner(this).trailersReceived(raw);
}
function onEnd(this: ClientHttp2Stream): void {
  owner(this).end();
}
function onDrain(this: ClientHttp2Stream): void {
  owner(this).drain();
}
function onWantTrailers(this: ClientHttp2Stream): void {
  owner(this).wantTrailers();
}
function onClose(this: ClientHttp2Stream): void {
  owner(this).closed();
}
function noop(): void {}
function reportFailure(callbacks: UpstreamStreamCallbacks, err: unknown): void {
  callbacks.onUpstreamReset('local_reset', err instanceof Error ? err.message : String(err));
}
