import { encodeHeaderMap, sendableHeaderMap } from '../codec/http2/fields.js';
import { NO_ERROR } from '../codec/http2/frames.js';
import type { H2Stream } from '../codec/http2/h2-stream.js';
import type { Http2Session } from '../codec/http2/session.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import type { ActiveStream } from './active-stream.js';
import type { ResponseEncoder } from './response-encoder.js';

const EMPTY = Buffer.alloc(0);
const STATUS_TEXT: string[] = [];

/** What a stream needs from its connection. */
export interface Http2ServerStreamOwner {
  readonly session: Http2Session<Http2ServerStream>;
  onStreamTimeout(s: Http2ServerStream): void;
  onLocalReset(): void;
}

/**
 * The response side of one downstream HTTP/2 stream on Weft's own codec (a ResponseEncoder over an H2Stream), and
 * the stream's idle-timeout node.
 */
export class Http2ServerStream implements ResponseEncoder, DeadlineOwner {
  readonly deadline = new Deadline(this);
  stream!: ActiveStream;
  /** The stream's idle timeout list (the HCM's or the route's `idle_timeout`). */
  idleList: DeadlineList | undefined;
  requestTimer: NodeJS.Timeout | undefined;
  /** Set when we reset the stream (so its close is not taken for a client reset). */
  localReset = false;
  responseEnded = false;
  private headersSent = false;

  constructor(
    readonly h2: H2Stream<Http2ServerStream>,
    private readonly owner: Http2ServerStreamOwner,
  ) {}

  get requestEnded(): boolean {
    return this.h2.remoteEnded;
  }

  encode100Continue(): void {
    if (this.h2.closed || this.headersSent) return;
    const session = this.owner.session;
    session.hpackOut.encode(session.headerBlock(this.h2), ':status', '100');
    session.sendHeaders(this.h2, false);
  }

  encodeHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    const h2 = this.h2;
    if (h2.closed || this.headersSent) return;
    this.headersSent = true;
    if (!sendableHeaderMap(headers)) {
      // Fields HTTP/2 cannot carry (from an upstream): reset rather than send a broken stream.
      this.resetStream();
      return;
    }
    // 204/205/304 have no body; nothing may follow.
    if (status === 204 || status === 205 || status === 304) endStream = true;
    const session = this.owner.session;
    const w = session.headerBlock(this.h2);
    session.hpackOut.encode(w, ':status', (STATUS_TEXT[status] ??= String(status)));
    encodeHeaderMap(session.hpackOut, w, headers);
    session.sendHeaders(h2, endStream);
    if (endStream) this.endResponse();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const h2 = this.h2;
    if (this.responseEnded || h2.closed) return true;
    if (this.idleList) this.idleList.schedule(this.deadline);
    if (endStream) this.responseEnded = true;
    const ok = this.owner.session.sendData(h2, data, endStream);
    if (endStream) this.endResponse();
    return ok;
  }

  encodeTrailers(trailers: HeaderMap): void {
    const h2 = this.h2;
    if (this.responseEnded || h2.closed) return;
    this.responseEnded = true;
    const session = this.owner.session;
    if (trailers.size === 0 || !sendableHeaderMap(trailers)) {
      session.sendData(h2, EMPTY, true);
    } else {
      encodeHeaderMap(session.hpackOut, session.headerBlock(this.h2), trailers);
      session.sendHeaders(h2, true);
    }
    this.endResponse();
  }

  /**
   * The response is complete but the client is still sending: end the stream with RST_STREAM(NO_ERROR) once our
   * frames are out (RFC 9113 §8.1), as Envoy does, instead of reading a body nobody wants.
   */
  private endResponse(): void {
    this.responseEnded = true;
    const h2 = this.h2;
    if (h2.remoteEnded || h2.closed) return;
    h2.rstWhenDone = true;
    if (h2.localEnded) this.owner.session.finishStream(h2);
  }

  /** Envoy resets a downstream HTTP/2 stream with NO_ERROR for a local reset (not refused, not CONNECT). */
  resetStream(): void {
    if (this.localReset || this.h2.closed) return;
    this.localReset = true;
    this.owner.onLocalReset();
    this.owner.session.resetStream(this.h2, NO_ERROR);
  }

  readDisable(disable: boolean): void {
    this.owner.session.setReadDisabled(this.h2, disable);
  }

  /** The response finishing before the request is fine in HTTP/2: nothing to do for the connection. */
  closeAfterResponse(): void {}

  onDeadline(): void {
    this.owner.onStreamTimeout(this);
  }
}
