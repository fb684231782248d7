import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import {
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_BYTES,
  HESSIAN2,
  MAGIC_HIGH,
  MAGIC_LOW,
  OFFSET_FLAGS,
  OFFSET_STATUS,
  SERIALIZATION_MASK,
  STATUS,
} from './constants.js';
import { DubboFrame, DubboResponseFrame } from './frame.js';
import { frameLength, readRequestId, responseStatus } from './header.js';
import { HessianScanner } from './hessian-scan.js';
import { DubboMetaCache, readEventData, readRequestBody } from './request-body.js';

/**
 * Splits a connection's byte stream into Dubbo frames. A partial frame is kept as a list of chunks and joined once,
 * when the whole frame is there; a frame wholly inside one read is a view into it.
 */
export class DubboFrameReader {
  private readonly scan = new HessianScanner();
  private readonly cache = new DubboMetaCache();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The total length of the frame being collected, 0 until its header is known. */
  private need = 0;

  constructor(private readonly maxFrameBytes: number) {}

  decode(chunk: Buffer, out: RpcFrame[]): void {
    if (chunk.length === 0) return;
    let buf: Buffer;
    if (this.pendingBytes === 0) buf = chunk;
    else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.need === 0) {
        if (this.pendingBytes < HEADER_BYTES) return this.checkMagicPrefix(Buffer.concat(this.pending, Math.min(2, this.pendingBytes)));
        this.need = this.headerOfPending();
      }
      if (this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = 0;
    }
    let offset = 0;
    const len = buf.length;
    const backing = buf.buffer;
    const base = buf.byteOffset;
    while (len - offset >= HEADER_BYTES) {
      const total = frameLength(buf, offset, this.maxFrameBytes);
      if (len - offset < total) break;
      // In place, not a copy: read buffers are never reused, and frames that spanned reads were joined into their own.
      out.push(this.frame(buf, offset, total, backing, base));
      offset += total;
    }
    if (offset < len) {
      const rest = buf.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      if (rest.length >= HEADER_BYTES) this.need = frameLength(rest, 0, this.maxFrameBytes);
      else this.checkMagicPrefix(rest);
    }
  }

  /** Hands over the bytes of the frame being collected (hot upgrade) and forgets them. */
  takePartial(): Buffer {
    const kept = this.pendingBytes === 0 ? Buffer.alloc(0) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.need = 0;
    return kept;
  }

  /** Reports a bad magic as soon as its first bytes arrive rather than waiting for a whole header. */
  private checkMagicPrefix(prefix: Buffer): void {
    if (prefix[0] !== MAGIC_HIGH || (prefix.length > 1 && prefix[1] !== MAGIC_LOW)) {
      throw new RpcProtocolError(`dubbo: bad magic 0x${prefix.subarray(0, 2).toString('hex')}`);
    }
  }

  /** Reads the frame length from the first header bytes spread over pending chunks. */
  private headerOfPending(): number {
    const head = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    if (this.pending.length !== 1) this.pending = [head];
    return frameLength(head, 0, this.maxFrameBytes);
  }

  private frame(buf: Buffer, at: number, size: number, backing: ArrayBufferLike, base: number): RpcFrame {
    const flags = buf[at + OFFSET_FLAGS] as number;
    const requestId = readRequestId(buf, at);
    if ((flags & FLAG_REQUEST) === 0) return this.response(new DubboResponseFrame(buf, at, size, backing, base + at), flags, requestId);
    const frame = new DubboFrame(buf, at, size, backing, base + at);
    frame.requestId = requestId;
    frame.serialization = flags & SERIALIZATION_MASK;
    frame.event = (flags & FLAG_EVENT) !== 0;
    this.request(frame, flags);
    return frame;
  }

  private request(frame: DubboFrame, flags: number): void {
    frame.oneway = (flags & FLAG_TWO_WAY) === 0;
    if (frame.event) {
      let data: ReturnType<typeof readEventData> = 'other';
      try {
        data = frame.serialization === HESSIAN2 ? readEventData(frame, this.scan) : 'other';
      } catch {
        // Undecodable event data: an unknown event.
      }
      // A two-way event always wants an answer, so anything but the read-only event is treated as a heartbeat.
      frame.goAway = data === 'readonly';
      frame.heartbeat = !frame.goAway && (data === 'heartbeat' || !frame.oneway);
      return;
    }
    if (frame.serialization !== HESSIAN2) {
      frame.badRequest = `unsupported serialization id ${frame.serialization}`;
      return;
    }
    try {
      readRequestBody(frame, this.scan, this.cache);
    } catch (err) {
      if (!(err instanceof RpcProtocolError)) throw err;
      frame.badRequest = err.message;
    }
  }

  private response(frame: DubboResponseFrame, flags: number, requestId: number): DubboResponseFrame {
    frame.requestId = requestId;
    frame.serialization = flags & SERIALIZATION_MASK;
    const buf = frame.chunk;
    const at = frame.at;
    const code = buf[at + OFFSET_STATUS] as number;
    frame.statusCode = code;
    frame.status = responseStatus(code);
    if ((flags & FLAG_EVENT) !== 0) {
      frame.event = true;
      frame.heartbeat = true;
      return frame;
    }
    if (code !== STATUS.OK || frame.serialization !== HESSIAN2 || frame.size === HEADER_BYTES) return frame;
    // The response type is a one-byte int (0x90 + type) in every body Dubbo writes: no scanner for it.
    const first = buf[at + HEADER_BYTES] as number;
    if (first >= 0x90 && first <= 0x95) {
      frame.responseType = first - 0x90;
      return frame;
    }
    const scan = this.scan;
    scan.reset(buf, at + HEADER_BYTES, at + frame.size);
    try {
      frame.responseType = scan.readInt();
    } catch {
      frame.responseType = -1;
    }
    if (frame.responseType < 0 || frame.responseType > 5) frame.status = 'unknown';
    return frame;
  }
}
