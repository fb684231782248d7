import * as F from './frames.js';
import { H2Stream } from './h2-stream.js';
import { HPACK_COMPRESSION_ERROR, HPACK_TOO_LARGE } from './hpack-decoder.js';
import { H2_PREFACE } from './select.js';
import { FLOOD_NONE } from './protocol-constraints.js';
import { Http2SessionCore, PREFACE_LEN } from './session-core.js';
import { CLOSE_DONE, CLOSE_REMOTE_RESET } from './session-types.js';
import { clearArray } from '../../server/clear-array.js';

export * from './session-types.js';

/**
 * An HTTP/2 connection over a socket (RFC 9113), for either role: the receiving side (frame parsing, HPACK
 * decoding, SETTINGS/PING/GOAWAY/WINDOW_UPDATE handling, stream states) over Http2SessionCore's sending side.
 */
export class Http2Session<U> extends Http2SessionCore<U> {
  /** Names of the fields of the header block being delivered (onHeaders) that were sent never-indexed. */
  get neverIndexed(): readonly string[] {
    return this.hpackIn.neverIndexed;
  }

  /** Whether the HPACK decoder already checked every name and value of the block being delivered (onHeaders). */
  get fieldsChecked(): boolean {
    return this.hpackIn.checked;
  }

  protected read(chunk: Buffer): void {
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
      // Flood limits see every frame header first (Envoy tracks frames before handling them).
      const padded = (flags & F.FLAG_PADDED) !== 0 && type <= F.HEADERS && len > 0 ? (buf[start] as number) + 1 : 0;
      const flood = this.constraints.inbound(type, flags, len, padded, this.out.dataFrames);
      if (flood !== FLOOD_NONE) return this.flood(flood, false);
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
    clearArray(fields);
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
      this.constraints.openedStreams++;
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
