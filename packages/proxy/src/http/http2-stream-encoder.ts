import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { NGHTTP2_NO_ERROR } from '../server/lazy-builtins.js';
import { decodeRawHeaders, toNodeHeaders } from '../codec/http2/headers.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { DeadlineList, DeadlineNode } from '../server/deadline-queue.js';
import type { ActiveStream } from './active-stream.js';
import type { ResponseEncoder } from './response-encoder.js';


/** What a stream needs from its connection. */
export interface Http2StreamOwner {
  /** The stream idle timeout fired. */
  onStreamTimeout(enc: Http2StreamEncoder): void;
  onStreamClosed(enc: Http2StreamEncoder): void;
  onRequestTrailers(): void;
  onLocalReset(): void;
}

/**
 * The response side of one downstream HTTP/2 stream (a ResponseEncoder over a node:http2 ServerHttp2Stream), and
 * the stream's idle-timeout node. Node's event listeners are shared functions that find this object on the stream,
 * so a stream costs no closures.
 */
export class Http2StreamEncoder implements ResponseEncoder, DeadlineNode {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  stream!: ActiveStream;
  /** The stream's idle timeout list (the HCM's or the route's `idle_timeout`). */
  idleList: DeadlineList | undefined;
  requestTimer: NodeJS.Timeout | undefined;
  /** Set when we reset the stream (so its close is not taken for a client reset). */
  localReset = false;
  responseEnded = false;
  /** The client's END_STREAM arrived. */
  requestEnded = false;
  private trailers: OutgoingHttpHeaders | undefined;

  constructor(
    readonly h2s: ServerHttp2Stream,
    private readonly owner: Http2StreamOwner,
  ) {
    (h2s as TaggedStream)[OWNER] = this;
    h2s.on('data', onData);
    h2s.on('trailers', onTrailers);
    h2s.on('end', onEnd);
    h2s.on('drain', onDrain);
    h2s.on('wantTrailers', onWantTrailers);
    h2s.on('close', onClose);
    h2s.on('error', noop);
  }

  encode100Continue(): void {
    if (!this.h2s.destroyed && !this.h2s.headersSent) this.h2s.additionalHeaders({ ':status': 100 });
  }

  encodeHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    const h2s = this.h2s;
    if (h2s.destroyed || h2s.headersSent) return;
    const out = toNodeHeaders(headers, { ':status': status });
    // node:http2 ends 204/205/304 responses itself; nothing may follow.
    if (status === 204 || status === 205 || status === 304) endStream = true;
    try {
      h2s.respond(out, endStream ? END_STREAM : WAIT_FOR_TRAILERS);
    } catch {
      // Headers node:http2 refuses (invalid names/values from upstream): reset rather than send a broken stream.
      this.resetStream();
      return;
    }
    if (endStream) {
      this.responseEnded = true;
      this.closeIfRequestOpen();
    }
  }

  /**
   * The response is complete but the client is still sending: end the stream with RST_STREAM(NO_ERROR) once our
   * frames are out (RFC 9113 §8.1), as Envoy does, instead of reading a body nobody wants.
   */
  private closeIfRequestOpen(): void {
    const h2s = this.h2s;
    if (!this.requestEnded && !h2s.destroyed && !h2s.closed) h2s.close(NGHTTP2_NO_ERROR);
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const h2s = this.h2s;
    if (this.responseEnded || h2s.destroyed) return true;
    if (this.idleList) this.idleList.schedule(this);
    if (endStream) {
      this.responseEnded = true;
      if (data.length > 0) h2s.end(data);
      else h2s.end();
      return !h2s.writableNeedDrain;
    }
    return h2s.write(data);
  }

  encodeTrailers(trailers: HeaderMap): void {
    if (this.responseEnded || this.h2s.destroyed) return;
    this.responseEnded = true;
    this.trailers = toNodeHeaders(trailers, {});
    this.h2s.end();
  }

  /** Envoy resets a downstream HTTP/2 stream with NO_ERROR for a local reset (not refused, not CONNECT). */
  resetStream(): void {
    const h2s = this.h2s;
    if (this.localReset || h2s.destroyed) return;
    this.localReset = true;
    this.owner.onLocalReset();
    h2s.close(NGHTTP2_NO_ERROR);
  }

  readDisable(disable: boolean): void {
    if (this.h2s.destroyed) return;
    if (disable) this.h2s.pause();
    else this.h2s.resume();
  }

  /** The response finishing before the request is fine in HTTP/2: nothing to do for the connection. */
  closeAfterResponse(): void {}

  onDeadline(): void {
    this.owner.onStreamTimeout(this);
  }

  sendTrailers(): void {
    const h2s = this.h2s;
    if (h2s.destroyed) return;
    const t = this.trailers;
    this.trailers = undefined;
    try {
      // No trailers: node sends an empty DATA frame with END_STREAM.
      h2s.sendTrailers(t ?? {});
    } catch {
      h2s.close(NGHTTP2_NO_ERROR);
      return;
    }
    this.closeIfRequestOpen();
  }

  get ownerConnection(): Http2StreamOwner {
    return this.owner;
  }
}

const OWNER = Symbol('weft.h2.encoder');
type TaggedStream = ServerHttp2Stream & { [OWNER]?: Http2StreamEncoder };
const END_STREAM = { endStream: true } as const;
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;

function owner(s: ServerHttp2Stream): Http2StreamEncoder {
  return (s as TaggedStream)[OWNER] as Http2StreamEncoder;
}

function onData(this: ServerHttp2Stream, chunk: Buffer): void {
  const enc = owner(this);
  if (enc.idleList) enc.idleList.schedule(enc);
  enc.stream.decodeData(chunk, false);
}

function onTrailers(this: ServerHttp2Stream, _h: unknown, _flags: number, raw: string[]): void {
  const enc = owner(this);
  enc.ownerConnection.onRequestTrailers();
  enc.stream.decodeTrailers(decodeRawHeaders(raw));
}

function onEnd(this: ServerHttp2Stream): void {
  const enc = owner(this);
  enc.requestEnded = true;
  enc.stream.endRequest();
}

function onDrain(this: ServerHttp2Stream): void {
  owner(this).stream.onDownstreamDrain();
}

function onWantTrailers(this: ServerHttp2Stream): void {
  owner(this).sendTrailers();
}

function onClose(this: ServerHttp2Stream): void {
  const enc = owner(this);
  enc.ownerConnection.onStreamClosed(enc);
}

function noop(): void {}
