import type { Socket } from 'node:net';
import * as F from './frames.js';
import { enterIoScope, exitIoScope } from '../../server/io-scope.js';
import { H2Stream } from './h2-stream.js';
import { HPACK_COMPRESSION_ERROR, HPACK_TOO_LARGE, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { H2_PREFACE } from './select.js';
import { WriteBuffer } from './write-buffer.js';

/** Why a stream closed. */
export const CLOSE_DONE = 0;
export const CLOSE_REMOTE_RESET = 1;
export const CLOSE_LOCAL_RESET = 2;
export const CLOSE_CONNECTION = 3;

export interface Http2SessionHandler<U> {
  /** A header block: the first one (request/response), an interim 1xx (client), or trailers. */
  onHeaders(stream: H2Stream<U>, fields: string[], endStream: boolean): void;
  /** A header block over the header list limits: the stream has been reset (server: answer 431 first). */
  onHeadersTooLarge(stream: H2Stream<U>): void;
  onData(stream: H2Stream<U>, data: Buffer, endStream: boolean): void;
  /** Once per stream; `reason`: CLOSE_*; a remote reset's code is `code`. */
  onStreamClose(stream: H2Stream<U>, reason: number, code: number): void;
  /** A stream whose encodeData returned false may write again. */
  onStreamWritable(stream: H2Stream<U>): void;
  onGoaway(lastStreamId: number, code: number): void;
  onPingAck(): void;
  onRemoteSettings(first: boolean): void;
  /** We detected a connection error and sent GOAWAY(code); the connection is closing. */
  onConnectionError(code: number): void;
  /** The socket is gone; every stream has been closed. */
  onClose(): void;
}

export interface Http2SessionSettings {
  readonly headerTableSize: number;
  readonly maxConcurrentStreams: number;
  readonly initialWindowSize: number;
  readonly maxHeaderListSize: number;
  readonly maxHeaderFields: number;
  readonly enableConnectProtocol: boolean;
  /** Our connection receive window (a WINDOW_UPDATE on stream 0 raises it from 65535). */
  readonly connectionWindow: number;
  /** Socket write buffer above which we stop reading (a peer that does not read makes us stop too). */
  readonly writeHighWatermark: number;
}

const PREFACE_LEN = H2_PREFACE.length;

/**
 * An HTTP/2 connection over a socket (RFC 9113), for either role: frame parsing, HPACK, SETTINGS/PING/GOAWAY,
 * flow control both ways and stream states. Every frame produced while handling one read (or one tick) goes out in
 * a single socket write. The role-specific layer (server or client connection) drives it through `handler`.
 */
export class Http2Session<U> {
  readonly streams = new Map<number, H2Stream<U>>();
  readonly hpackOut = new HpackEncoder();
  private readonly hpackIn: HpackDecoder;
  private readonly out = new WriteBuffer();
  private readonly block = new WriteBuffer();
  private rest: Buffer | undefined;
  private prefaceLeft: number;
  private settingsSeen = false;
  /** Continuation state: the stream whose header block is incomplete (0 = none). */
  private contId = 0;
  private contFlags = 0;
  private contParts: Buffer[] = [];
  private contSize = 0;
  /** Peer settings. */
  peerMaxStreams = 0x7fffffff;
  private peerInitialWindow = F.DEFAULT_WINDOW;
  private peerMaxFrame = F.DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = F.DEFAULT_WINDOW;
  private recvWindow = F.DEFAULT_WINDOW;
  private connUnacked = 0;
  private readonly blocked = new Set<H2Stream<U>>();
  /** Highest stream id the peer opened; our next stream id (client). */
  lastPeerStreamId = 0;
  private nextStreamId: number;
  /** GOAWAY sent: streams above it are ignored. */
  goawaySentId = -1;
  goawayReceived = false;
  private flushScheduled = false;
  private readPaused = false;
  closed = false;
  private readonly fields: string[] = [];

  constructor(
    readonly socket: Socket,
    readonly server: boolean,
    private readonly settings: Http2SessionSettings,
    private readonly handler: Http2SessionHandler<U>,
  ) {
    this.hpackIn = new HpackDecoder(settings.headerTableSize);
    this.prefaceLeft = server ? PREFACE_LEN : 0;
    this.nextStreamId = server ? 2 : 1;
    socket.on('data', this.onSocketData);
    socket.on('drain', this.onSocketDrain);
    socket.on('close', this.onSocketClose);
    socket.on('error', noop);
  }

  /** Sends the preface (client) and our SETTINGS; `initial`: bytes already read from the socket. */
  start(initial?: Buffer): void {
    const s = this.settings;
    if (!this.server) this.out.bytes(H2_PREFACE);
    const pairs = [F.SETTINGS_HEADER_TABLE_SIZE, s.headerTableSize, F.SETTINGS_ENABLE_PUSH, 0, F.SETTINGS_MAX_CONCURRENT_STREAMS, s.maxConcurrentStreams, F.SETTINGS_INITIAL_WINDOW_SIZE, s.initialWindowSize, F.SETTINGS_MAX_HEADER_LIST_SIZE, s.maxHeaderListSize];
    if (s.enableConnectProtocol) pairs.push(F.SETTINGS_ENABLE_CONNECT_PROTOCOL, 1);
    F.writeSettings(this.out, pairs);
    if (s.connectionWindow > F.DEFAULT_WINDOW) {
      F.writeWindowUpdate(this.out, 0, s.connectionWindow - F.DEFAULT_WINDOW);
      this.recvWindow = s.connectionWindow;
    }
    if (initial !== undefined && initial.length > 0) this.onSocketData(initial);
    else this.flush();
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  // ---- sending ----

  /** A new local stream (client); null when the peer's stream limit or a GOAWAY forbids it. */
  openStream(): H2Stream<U> | null {
    if (this.closed || this.goawayReceived || this.nextStreamId > 0x7fffffff) return null;
    const s = new H2Stream<U>(this.nextStreamId, this.peerInitialWindow, this.settings.initialWindowSize);
    this.nextStreamId += 2;
    this.streams.set(s.id, s);
    return s;
  }

  /**
   * Starts a header block for stream `s`: encode its fields with `hpackOut.encode(headerBlock(s), ...)`, then
   * `sendHeaders(s)`. A block that must wait behind the stream's blocked data is encoded without the dynamic table.
   */
  headerBlock(s: H2Stream<U>): WriteBuffer {
    const enc = this.hpackOut;
    enc.stateless = s.pendingBytes > 0 || (s.pending !== undefined && s.pendingEnd);
    enc.beginBlock(this.block);
    return this.block;
  }

  /** Drops a header block that will not be sent (only before any field was encoded into it). */
  discardHeaderBlock(): void {
    this.block.take();
  }

  sendHeaders(s: H2Stream<U>, endStream: boolean): void {
    const block = this.block.take() as Buffer;
    if (s.closed || s.localEnded) return;
    if (s.pendingBytes > 0 || (s.pending !== undefined && s.pendingEnd)) {
      // Trailers wait behind data blocked by flow control.
      s.pendingTrailers = block;
      s.pendingEnd = true;
      return;
    }
    F.writeHeaderBlock(this.out, s.id, block, this.peerMaxFrame, endStream);
    if (endStream) this.endLocal(s);
    this.scheduleFlush();
  }

  /** Returns false when the data is queued behind flow control or the socket is backed up. */
  sendData(s: H2Stream<U>, data: Buffer, endStream: boolean): boolean {
    if (s.closed || s.localEnded || s.pendingEnd) return true;
    if (s.pendingBytes > 0) {
      (s.pending ??= []).push(data);
      s.pendingBytes += data.length;
      s.pendingEnd = endStream;
    } else {
      const sent = this.writeData(s, data, 0, endStream);
      if (sent < data.length || (data.length === 0 && endStream && !s.localEnded)) {
        (s.pending ??= []).push(sent === 0 ? data : data.subarray(sent));
        s.pendingBytes += data.length - sent;
        s.pendingEnd = endStream;
        this.blocked.add(s);
      }
    }
    this.scheduleFlush();
    if (s.pendingBytes > 0 || this.readPaused) {
      s.wantsWritable = true;
      return false;
    }
    return true;
  }

  resetStream(s: H2Stream<U>, code: number): void {
    if (s.closed) return;
    F.writeRstStream(this.out, s.id, code);
    this.scheduleFlush();
    this.closeStream(s, CLOSE_LOCAL_RESET, code);
  }

  /** Closes a stream the peer will never answer (above a GOAWAY's last stream id) as refused, sending nothing. */
  refuseStream(s: H2Stream<U>): void {
    this.closeStream(s, CLOSE_REMOTE_RESET, F.REFUSED_STREAM);
  }

  /** Stop/resume returning receive window for this stream (the peer stalls once it is used up). */
  setReadDisabled(s: H2Stream<U>, disabled: boolean): void {
    if (s.readDisabled === disabled) return;
    s.readDisabled = disabled;
    if (disabled || s.held === 0) return;
    s.unacked += s.held;
    s.held = 0;
    this.returnStreamCredit(s);
    this.scheduleFlush();
  }

  goaway(lastStreamId: number, code: number): void {
    if (this.closed) return;
    this.goawaySentId = lastStreamId;
    F.writeGoaway(this.out, lastStreamId, code);
    this.scheduleFlush();
  }

  ping(payload: Buffer): void {
    if (this.closed) return;
    F.writePing(this.out, false, payload, 0);
    this.scheduleFlush();
  }

  /** GOAWAY(code) naming the last stream we took, then close once written. */
  terminate(code: number): void {
    if (this.closed) return;
    F.writeGoaway(this.out, this.lastPeerStreamId, code);
    this.flush();
    this.destroy();
  }

  /** Closes the socket after what is queued; every open stream is closed (CLOSE_CONNECTION). */
  destroy(): void {
    if (this.closed) return;
    this.flush();
    this.socket.destroySoon();
    // A peer that does not read would keep the socket (and its queued bytes) forever.
    if (!this.socket.destroyed) setTimeout(destroySocket, 1000, this.socket).unref();
    this.onSocketClose();
  }

  private writeData(s: H2Stream<U>, data: Buffer, from: number, endStream: boolean): number {
    const len = data.length;
    const w = this.out;
    while (from < len) {
      const n = Math.min(len - from, this.peerMaxFrame, s.sendWindow, this.sendWindow);
      if (n <= 0) return from;
      s.sendWindow -= n;
      this.sendWindow -= n;
      F.writeData(w, s.id, data, from, from + n, endStream && from + n === len);
      from += n;
    }
    if (endStream) {
      if (len === 0) F.writeData(w, s.id, data, 0, 0, true);
      this.endLocal(s);
    }
    return from;
  }

  /** Sends what flow control now allows of a blocked stream's pending data (and trailers). */
  private resumeStream(s: H2Stream<U>): void {
    const pending = s.pending;
    while (pending !== undefined && pending.length > 0) {
      const data = pending[0] as Buffer;
      const last = pending.length === 1;
      const sent = this.writeData(s, data, 0, last && s.pendingEnd && s.pendingTrailers === undefined);
      s.pendingBytes -= sent;
      if (sent < data.length || (data.length === 0 && last && s.pendingEnd && !s.localEnded && s.pendingTrailers === undefined)) {
        if (sent > 0) pending[0] = data.subarray(sent);
        return;
      }
      pending.shift();
    }
    this.blocked.delete(s);
    const trailers = s.pendingTrailers;
    if (trailers !== undefined && !s.localEnded) {
      s.pendingTrailers = undefined;
      F.writeHeaderBlock(this.out, s.id, trailers, this.peerMaxFrame, true);
      this.endLocal(s);
    }
    if (s.wantsWritable && !this.readPaused && !s.closed) {
      s.wantsWritable = false;
      this.handler.onStreamWritable(s);
    }
  }

  private endLocal(s: H2Stream<U>): void {
    s.localEnded = true;
    if (s.remoteEnded) this.closeStream(s, CLOSE_DONE, 0);
    else if (s.rstWhenDone) this.finishStream(s);
  }

  /** Our side is done and the peer's is not needed: RST_STREAM(NO_ERROR), closed as a normal end (§8.1). */
  finishStream(s: H2Stream<U>): void {
    if (s.closed) return;
    F.writeRstStream(this.out, s.id, F.NO_ERROR);
    this.scheduleFlush();
    this.closeStream(s, CLOSE_DONE, 0);
  }

  private closeStream(s: H2Stream<U>, reason: number, code: number): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    s.pending = undefined;
    this.handler.onStreamClose(s, reason, code);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    process.nextTick(flushTick, this);
  }

  /** Writes everything queued in one socket write. */
  flush(): void {
    this.flushScheduled = false;
    if (this.connUnacked > 0 && this.connUnacked >= this.settings.connectionWindow >> 1) {
      F.writeWindowUpdate(this.out, 0, this.connUnacked);
      this.recvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
    const chunk = this.out.take();
    if (chunk === null || this.socket.destroyed) return;
    const socket = this.socket;
    let ok: boolean;
    if (Array.isArray(chunk)) {
      socket.cork();
      for (const c of chunk) socket.write(c);
      ok = !socket.writableNeedDrain;
      socket.uncork();
    } else ok = socket.write(chunk);
    if (!ok && socket.writableLength > this.settings.writeHighWatermark && !this.readPaused) {
      this.readPaused = true;
      socket.pause();
    }
  }

  private readonly onSocketDrain = (): void => {
    if (!this.readPaused) return;
    this.readPaused = false;
    if (!this.closed) this.socket.resume();
    for (const s of this.streams.values()) {
      if (s.wantsWritable && s.pendingBytes === 0) {
        s.wantsWritable = false;
        this.handler.onStreamWritable(s);
      }
    }
  };

  private readonly onSocketClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) this.closeStream(s, CLOSE_CONNECTION, 0);
    this.handler.onClose();
  };

  // ---- receiving ----

  private readonly onSocketData = (chunk: Buffer): void => {
    if (this.closed) return;
    enterIoScope();
    try {
      this.read(chunk);
    } finally {
      exitIoScope();
    }
    if (!this.closed) this.flush();
  };

  private read(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let p = 0;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, buf.length);
      const at = PREFACE_LEN - this.prefaceLeft;
      if (buf.compare(H2_PREFACE, at, at + n, 0, n) !== 0) return this.connectionError(F.PROTOCOL_ERROR);
      this.prefaceLeft -= n;
      p = n;
    }
    const maxFrame = F.DEFAULT_MAX_FRAME_SIZE;
    while (buf.length - p >= F.FRAME_HEADER_SIZE) {
      const len = ((buf[p] as number) << 16) | ((buf[p + 1] as number) << 8) | (buf[p + 2] as number);
      if (len > maxFrame) return this.connectionError(F.FRAME_SIZE_ERROR);
      if (buf.length - p - F.FRAME_HEADER_SIZE < len) break;
      const type = buf[p + 3] as number;
      const flags = buf[p + 4] as number;
      const id = buf.readUInt32BE(p + 5) & 0x7fffffff;
      const start = p + F.FRAME_HEADER_SIZE;
      p = start + len;
      this.onFrame(type, flags, id, buf, start, p);
      if (this.closed) return;
    }
    if (p < buf.length) this.rest = buf.subarray(p);
  }

  private onFrame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (!this.settingsSeen && type !== F.SETTINGS) return this.connectionError(F.PROTOCOL_ERROR);
    if (this.contId !== 0 && (type !== F.CONTINUATION || id !== this.contId)) return this.connectionError(F.PROTOCOL_ERROR);
    switch (type) {
      case F.DATA:
        return this.onDataFrame(flags, id, buf, start, end);
      case F.HEADERS:
        return this.onHeadersFrame(flags, id, buf, start, end);
      case F.CONTINUATION:
        if (this.contId === 0) return this.connectionError(F.PROTOCOL_ERROR);
        return this.onContinuation(flags, buf, start, end);
      case F.PRIORITY:
        if (id === 0) return this.connectionError(F.PROTOCOL_ERROR);
        if (end - start !== 5) this.streamError(id, F.FRAME_SIZE_ERROR);
        return;
      case F.RST_STREAM:
        return this.onRstStream(id, buf, start, end);
      case F.SETTINGS:
        return this.onSettings(flags, id, buf, start, end);
      case F.PUSH_PROMISE:
        return this.connectionError(F.PROTOCOL_ERROR);
      case F.PING:
        if (id !== 0) return this.connectionError(F.PROTOCOL_ERROR);
        if (end - start !== 8) return this.connectionError(F.FRAME_SIZE_ERROR);
        if (flags & F.FLAG_ACK) this.handler.onPingAck();
        else F.writePing(this.out, true, buf, start);
        return;
      case F.GOAWAY:
        if (id !== 0) return this.connectionError(F.PROTOCOL_ERROR);
        if (end - start < 8) return this.connectionError(F.FRAME_SIZE_ERROR);
        this.goawayReceived = true;
        this.handler.onGoaway(buf.readUInt32BE(start) & 0x7fffffff, buf.readUInt32BE(start + 4));
        return;
      case F.WINDOW_UPDATE:
        return this.onWindowUpdate(id, buf, start, end);
      default:
        return; // unknown frame types are ignored (§4.1)
    }
  }

  /** Is `id` a stream the peer may not have used yet (idle)? */
  private idle(id: number): boolean {
    const peerOpens = this.server ? (id & 1) === 1 : (id & 1) === 0;
    return peerOpens ? id > this.lastPeerStreamId : id >= this.nextStreamId;
  }

  private onDataFrame(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) return this.connectionError(F.PROTOCOL_ERROR);
    const frameLen = end - start;
    if (frameLen > this.recvWindow) return this.connectionError(F.FLOW_CONTROL_ERROR);
    this.recvWindow -= frameLen;
    this.connUnacked += frameLen;
    if (flags & F.FLAG_PADDED) {
      if (frameLen < 1) return this.connectionError(F.PROTOCOL_ERROR);
      const pad = buf[start] as number;
      if (pad >= frameLen) return this.connectionError(F.PROTOCOL_ERROR);
      start++;
      end -= pad;
    }
    const s = this.streams.get(id);
    if (s === undefined) {
      if (this.idle(id)) return this.connectionError(F.PROTOCOL_ERROR);
      return; // a stream we closed: its data only counts against the connection window
    }
    if (s.remoteEnded || !s.headersReceived) return this.streamError(id, F.STREAM_CLOSED);
    if (frameLen > s.recvWindow) return this.streamError(id, F.FLOW_CONTROL_ERROR);
    s.recvWindow -= frameLen;
    if (s.readDisabled) s.held += frameLen;
    else s.unacked += frameLen;
    const endStream = (flags & F.FLAG_END_STREAM) !== 0;
    s.receivedLength += end - start;
    if (s.expectedLength >= 0 && (s.receivedLength > s.expectedLength || (endStream && s.receivedLength !== s.expectedLength))) {
      return this.streamError(id, F.PROTOCOL_ERROR);
    }
    if (endStream) s.remoteEnded = true;
    if (end > start || endStream) this.handler.onData(s, buf.subarray(start, end), endStream);
    if (!s.closed) {
      this.returnStreamCredit(s);
      if (endStream && s.localEnded) this.closeStream(s, CLOSE_DONE, 0);
    }
  }

  private returnStreamCredit(s: H2Stream<U>): void {
    if (s.remoteEnded || s.unacked < this.settings.initialWindowSize >> 1) return;
    F.writeWindowUpdate(this.out, s.id, s.unacked);
    s.recvWindow += s.unacked;
    s.unacked = 0;
  }

  private onHeadersFrame(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) return this.connectionError(F.PROTOCOL_ERROR);
    if (flags & F.FLAG_PADDED) {
      if (end - start < 1) return this.connectionError(F.PROTOCOL_ERROR);
      const pad = buf[start] as number;
      start++;
      if (pad > end - start) return this.connectionError(F.PROTOCOL_ERROR);
      end -= pad;
    }
    if (flags & F.FLAG_PRIORITY) {
      if (end - start < 5) return this.connectionError(F.FRAME_SIZE_ERROR);
      start += 5;
    }
    if ((flags & F.FLAG_END_HEADERS) === 0) {
      this.contId = id;
      this.contFlags = flags;
      this.contParts = [buf.subarray(start, end)];
      this.contSize = end - start;
      return;
    }
    this.onHeaderBlock(flags, id, buf, start, end);
  }

  private onContinuation(flags: number, buf: Buffer, start: number, end: number): void {
    this.contParts.push(buf.subarray(start, end));
    this.contSize += end - start;
    // A block far beyond the header list limit is an attack, not a request (CONTINUATION flood).
    if (this.contSize > this.settings.maxHeaderListSize * 2 + 65536) return this.connectionError(F.ENHANCE_YOUR_CALM);
    if ((flags & F.FLAG_END_HEADERS) === 0) return;
    const block = Buffer.concat(this.contParts);
    const id = this.contId;
    this.contId = 0;
    this.contParts = [];
    this.onHeaderBlock(this.contFlags, id, block, 0, block.length);
  }

  private onHeaderBlock(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    const fields = this.fields;
    fields.length = 0;
    const res = this.hpackIn.decode(buf, start, end, fields, this.settings.maxHeaderListSize, this.settings.maxHeaderFields);
    if (res === HPACK_COMPRESSION_ERROR) return this.connectionError(F.COMPRESSION_ERROR);
    const endStream = (flags & F.FLAG_END_STREAM) !== 0;
    let s = this.streams.get(id);
    if (s === undefined) {
      const peerOpens = this.server ? (id & 1) === 1 : false;
      if (!peerOpens || id <= this.lastPeerStreamId) {
        // Trailers racing our reset are fine; anything else on a closed or unknown stream is not.
        if (!this.idle(id)) return;
        return this.connectionError(F.PROTOCOL_ERROR);
      }
      this.lastPeerStreamId = id;
      if (this.goawaySentId >= 0 && id > this.goawaySentId) return;
      if (this.streams.size >= this.settings.maxConcurrentStreams) {
        F.writeRstStream(this.out, id, F.REFUSED_STREAM);
        return;
      }
      s = new H2Stream<U>(id, this.peerInitialWindow, this.settings.initialWindowSize);
      this.streams.set(id, s);
    } else if (s.remoteEnded) {
      return this.streamError(id, F.STREAM_CLOSED);
    } else if (s.headersReceived && !endStream && this.server) {
      return this.streamError(id, F.PROTOCOL_ERROR); // trailers must end the stream
    }
    if (res === HPACK_TOO_LARGE) {
      this.handler.onHeadersTooLarge(s);
      return;
    }
    if (endStream && s.headersReceived && s.expectedLength >= 0 && s.receivedLength !== s.expectedLength) {
      return this.streamError(id, F.PROTOCOL_ERROR); // trailers ending a body shorter than its content-length
    }
    s.headersReceived = true;
    if (endStream) s.remoteEnded = true;
    this.handler.onHeaders(s, fields, endStream);
    if (endStream && !s.closed && s.localEnded) this.closeStream(s, CLOSE_DONE, 0);
  }

  private onRstStream(id: number, buf: Buffer, start: number, end: number): void {
    if (end - start !== 4) return this.connectionError(F.FRAME_SIZE_ERROR);
    if (id === 0 || this.idle(id)) return this.connectionError(F.PROTOCOL_ERROR);
    const s = this.streams.get(id);
    if (s !== undefined) this.closeStream(s, CLOSE_REMOTE_RESET, buf.readUInt32BE(start));
  }

  private onSettings(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id !== 0) return this.connectionError(F.PROTOCOL_ERROR);
    if (flags & F.FLAG_ACK) {
      if (end !== start) return this.connectionError(F.FRAME_SIZE_ERROR);
      return;
    }
    if ((end - start) % 6 !== 0) return this.connectionError(F.FRAME_SIZE_ERROR);
    for (let p = start; p < end; p += 6) {
      const key = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      switch (key) {
        case F.SETTINGS_HEADER_TABLE_SIZE:
          this.hpackOut.setPeerMaxTableSize(value);
          break;
        case F.SETTINGS_ENABLE_PUSH:
          if (value > 1) return this.connectionError(F.PROTOCOL_ERROR);
          break;
        case F.SETTINGS_MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = value;
          break;
        case F.SETTINGS_INITIAL_WINDOW_SIZE: {
          if (value > F.MAX_WINDOW) return this.connectionError(F.FLOW_CONTROL_ERROR);
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > F.MAX_WINDOW) return this.connectionError(F.FLOW_CONTROL_ERROR);
            if (delta > 0 && s.pendingBytes > 0) this.blocked.add(s);
          }
          break;
        }
        case F.SETTINGS_MAX_FRAME_SIZE:
          if (value < F.DEFAULT_MAX_FRAME_SIZE || value > F.MAX_FRAME_SIZE_LIMIT) return this.connectionError(F.PROTOCOL_ERROR);
          this.peerMaxFrame = value;
          break;
        default:
          break;
      }
    }
    F.writeSettingsAck(this.out);
    const first = !this.settingsSeen;
    this.settingsSeen = true;
    this.resumeBlocked();
    this.handler.onRemoteSettings(first);
  }

  private onWindowUpdate(id: number, buf: Buffer, start: number, end: number): void {
    if (end - start !== 4) return this.connectionError(F.FRAME_SIZE_ERROR);
    const inc = buf.readUInt32BE(start) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) return this.connectionError(F.PROTOCOL_ERROR);
      this.sendWindow += inc;
      if (this.sendWindow > F.MAX_WINDOW) return this.connectionError(F.FLOW_CONTROL_ERROR);
      this.resumeBlocked();
      return;
    }
    if (this.idle(id)) return this.connectionError(F.PROTOCOL_ERROR);
    const s = this.streams.get(id);
    if (s === undefined) return;
    if (inc === 0) return this.streamError(id, F.PROTOCOL_ERROR);
    s.sendWindow += inc;
    if (s.sendWindow > F.MAX_WINDOW) return this.streamError(id, F.FLOW_CONTROL_ERROR);
    if (this.blocked.has(s)) this.resumeStream(s);
  }

  private resumeBlocked(): void {
    for (const s of this.blocked) {
      if (this.sendWindow <= 0) return;
      this.resumeStream(s);
    }
  }

  private streamError(id: number, code: number): void {
    const s = this.streams.get(id);
    if (s !== undefined) this.resetStream(s, code);
    else F.writeRstStream(this.out, id, code);
  }

  private connectionError(code: number): void {
    if (this.closed) return;
    this.handler.onConnectionError(code);
    this.terminate(code);
  }
}

function flushTick<U>(s: Http2Session<U>): void {
  if (s.closed) return;
  s.flush();
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function noop(): void {}
