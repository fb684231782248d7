import type { Socket } from 'node:net';
import { pauseReads, readDirect, resumeReads } from '../../network/direct-read.js';
import { unsentBytes, writeBytes } from '../../network/fast-write.js';
import { deferToScopeEnd, enterIoScope, exitIoScope, type Deferred } from '../../server/io-scope.js';
import * as F from './frames.js';
import { H2Stream } from './h2-stream.js';
import { HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { FLOOD_NONE, ProtocolConstraints } from './protocol-constraints.js';
import { H2_PREFACE } from './select.js';
import { CLOSE_CONNECTION, CLOSE_DONE, CLOSE_LOCAL_RESET, CLOSE_REMOTE_RESET, type Http2SessionHandler, type Http2SessionSettings } from './session-types.js';
import { StreamTable } from './stream-table.js';
import { WriteBuffer } from './write-buffer.js';

export const PREFACE_LEN = H2_PREFACE.length;

/**
 * An HTTP/2 connection over a socket (RFC 9113), for either role: frame parsing, HPACK, SETTINGS/PING/GOAWAY,
 * flow control both ways and stream states. Every frame produced while handling one read (or one tick) goes out in
 * a single socket write. The role-specific layer (server or client connection) drives it through `handler`.
 * A plain TCP socket is read and written through its libuv handle (direct-read.ts, fast-write.ts), and frames queued
 * while handling any read go out when that read's I/O scope ends: no Readable/Writable bookkeeping and no nextTick
 * per exchange.
 */
export abstract class Http2SessionCore<U> implements Deferred {
  /** Open streams by id (not a Map: see stream-table.ts). */
  readonly streams = new StreamTable<H2Stream<U>>();
  readonly hpackOut = new HpackEncoder();
  protected readonly hpackIn: HpackDecoder;
  protected readonly out = new WriteBuffer();
  protected readonly block = new WriteBuffer();
  protected rest: Buffer | undefined;
  protected prefaceLeft: number;
  protected settingsSeen = false;
  /** Continuation state: the stream whose header block is incomplete (0 = none). */
  protected contId = 0;
  protected contFlags = 0;
  protected contParts: Buffer[] = [];
  protected contSize = 0;
  /** Peer settings. */
  peerMaxStreams = 0x7fffffff;
  protected peerInitialWindow = F.DEFAULT_WINDOW;
  protected peerMaxFrame = F.DEFAULT_MAX_FRAME_SIZE;
  protected sendWindow = F.DEFAULT_WINDOW;
  protected recvWindow = F.DEFAULT_WINDOW;
  protected connUnacked = 0;
  protected readonly blocked = new Set<H2Stream<U>>();
  /** Highest stream id the peer opened; our next stream id (client). */
  lastPeerStreamId = 0;
  protected nextStreamId: number;
  /** GOAWAY sent: streams above it are ignored. */
  goawaySentId = -1;
  goawayReceived = false;
  protected flushScheduled = false;
  protected readPaused = false;
  closed = false;
  protected readonly fields: string[] = [];
  readonly constraints: ProtocolConstraints;

  constructor(
    readonly socket: Socket,
    readonly server: boolean,
    protected readonly settings: Http2SessionSettings,
    protected readonly handler: Http2SessionHandler<U>,
  ) {
    this.hpackIn = new HpackDecoder(settings.headerTableSize);
    this.constraints = new ProtocolConstraints(settings.floodLimits, settings.codecStats);
    this.prefaceLeft = server ? PREFACE_LEN : 0;
    this.nextStreamId = server ? 2 : 1;
    // 'data' still delivers what the Readable buffered before (codec detection); later reads come direct.
    socket.on('data', this.onSocketData);
    readDirect(socket, this.onSocketData);
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
    this.constraints.openedStreams++;
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

  protected writeData(s: H2Stream<U>, data: Buffer, from: number, endStream: boolean): number {
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
  protected resumeStream(s: H2Stream<U>): void {
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
      F.writeHeaderBlock(this.out, s.id, this.withTableSizeUpdate(trailers), this.peerMaxFrame, true);
      this.endLocal(s);
    }
    if (s.wantsWritable && !this.readPaused && !s.closed) {
      s.wantsWritable = false;
      this.handler.onStreamWritable(s);
    }
  }

  /**
   * A block encoded without the table, sent now. If no block was encoded with the table since a size change, this
   * is the first block after it on the wire and must begin with the update (RFC 7541 §4.2; nghttp2 insists).
   */
  private withTableSizeUpdate(block: Buffer): Buffer {
    const enc = this.hpackOut;
    enc.stateless = false;
    enc.beginBlock(this.block);
    const update = this.block.take();
    return update === null ? block : Buffer.concat([update as Buffer, block]);
  }

  protected endLocal(s: H2Stream<U>): void {
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

  protected closeStream(s: H2Stream<U>, reason: number, code: number): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    s.pending = undefined;
    this.handler.onStreamClose(s, reason, code);
  }

  protected scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    deferToScopeEnd(this);
  }

  /** The scheduled flush, when the I/O scope that queued frames ends (or on the next tick outside any scope). */
  runDeferred(): void {
    if (this.flushScheduled && !this.closed) this.flush();
  }

  /** Writes everything queued in one socket write. */
  flush(): void {
    this.flushScheduled = false;
    if (this.connUnacked > 0 && this.connUnacked >= this.settings.connectionWindow >> 1) {
      F.writeWindowUpdate(this.out, 0, this.connUnacked);
      this.recvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
    const out = this.out;
    const chunk = out.take();
    if (chunk === null || this.socket.destroyed) return;
    // Frames stay counted until their write completes: a peer that does not read trips the outbound limits.
    const flood = this.constraints.queue(out.frames, out.controlFrames);
    out.frames = out.controlFrames = 0;
    if (flood !== FLOOD_NONE && !this.closed) return this.flood(flood, true);
    const socket = this.socket;
    let ok: boolean;
    if (Array.isArray(chunk)) {
      socket.cork();
      const last = chunk.length - 1;
      for (let i = 0; i < last; i++) socket.write(chunk[i] as Buffer);
      socket.write(chunk[last] as Buffer, this.onWritten);
      ok = !socket.writableNeedDrain;
      socket.uncork();
    } else {
      const before = this.writesCompleted;
      ok = writeBytes(socket, chunk, this.onWritten);
      if (this.writesCompleted !== before) out.reuse(chunk);
    }
    if (!ok && unsentBytes(socket) > this.settings.writeHighWatermark && !this.readPaused) {
      this.readPaused = true;
      pauseReads(socket);
    }
  }

  /** Socket writes completed so far (a direct write that completes at once does so inside writeBytes). */
  private writesCompleted = 0;

  private readonly onWritten = (): void => {
    this.writesCompleted++;
    this.constraints.written();
  };

  /**
   * A flood limit broken (counted once by `constraints`): as Envoy, no GOAWAY. What we sent towards a peer that
   * does not read is dropped (outbound, and every upstream flood: the client codec closes without flushing); an
   * inbound flood on a server flushes what is queued first.
   */
  protected flood(kind: number, outbound: boolean): void {
    if (this.closed) return;
    this.handler.onFlood(kind);
    if (!outbound && this.server) {
      this.destroy();
      return;
    }
    this.abort();
  }

  /** Closes now, dropping what is queued (Envoy's NoFlush / Abort: no GOAWAY, no RST). Open streams are closed. */
  abort(): void {
    if (this.closed) return;
    this.out.take();
    this.socket.destroy();
    this.onSocketClose();
  }

  protected readonly onSocketDrain = (): void => {
    if (!this.readPaused) return;
    this.readPaused = false;
    if (!this.closed) resumeReads(this.socket);
    // A copy: a callback may close streams later in it, hence the closed check.
    for (const s of this.streams.values()) {
      if (s.wantsWritable && s.pendingBytes === 0 && !s.closed) {
        s.wantsWritable = false;
        this.handler.onStreamWritable(s);
      }
    }
  };

  protected readonly onSocketClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) this.closeStream(s, CLOSE_CONNECTION, 0);
    this.handler.onClose();
  };

  protected readonly onSocketData = (chunk: Buffer): void => {
    if (this.closed) return;
    enterIoScope();
    try {
      this.read(chunk);
    } finally {
      exitIoScope();
    }
    if (!this.closed) this.flush();
  };

  protected returnStreamCredit(s: H2Stream<U>): void {
    if (s.remoteEnded || s.unacked < this.settings.initialWindowSize >> 1) return;
    F.writeWindowUpdate(this.out, s.id, s.unacked);
    s.recvWindow += s.unacked;
    s.unacked = 0;
  }

  /** Parses and handles the frames in `chunk` (the receiving side, in Http2Session). */
  protected abstract read(chunk: Buffer): void;
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function noop(): void {}
