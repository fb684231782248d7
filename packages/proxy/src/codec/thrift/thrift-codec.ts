/**
 * The Thrift codec: framed or unframed (buffered) transport, binary (strict, or old-style non-strict) or compact
 * protocol, detected per connection from its first bytes and kept for local replies. Unframed messages are
 * delimited by walking their body struct. THeader is refused (a protocol error closing the connection).
 */
import {
  RpcProtocolError,
  type CodecMatch, type RpcCodec, type RpcCodecOptions, type RpcConnectionCodec, type RpcFrame, type RpcLocalStatus,
  type RpcResponseStatus, type RpcRewrite,
} from '../../interfaces/rpc-codec.js';
import { COMPACT_PROTOCOL_ID, MessageType, THEADER_MAGIC, type Protocol, type Transport } from './thrift-constants.js';
import { appExceptionType, encodeAppException, withSeqid } from './thrift-encode.js';
import { ThriftFrame, newReader } from './thrift-frame.js';
import { newMessageHeader, readMessageHeader } from './thrift-message.js';
import { NEED_MORE, type ThriftReader } from './thrift-reader.js';

/** Whether the byte after a compact protocol id is version 1 with a CALL or ONEWAY type (0x21, 0x81). */
function compactCall(b: number): boolean {
  return (b & 0x1f) === 1 && ((b >> 5) === MessageType.CALL || (b >> 5) === MessageType.ONEWAY);
}

/** Whether `head[at..]` starts a binary or compact CALL/ONEWAY message; need-more until it can tell. */
function matchMessage(head: Buffer, at: number): CodecMatch {
  if (head.length <= at) return 'need-more';
  const b0 = head[at];
  if (b0 === COMPACT_PROTOCOL_ID) {
    if (head.length <= at + 1) return 'need-more';
    return compactCall(head[at + 1] as number) ? 'yes' : 'no';
  }
  if (b0 !== 0x80) return 'no';
  for (let i = 1; i < 4; i++) {
    if (head.length <= at + i) return 'need-more';
    const want = i === 1 ? 0x01 : i === 2 ? 0x00 : -1;
    const b = head[at + i] as number;
    if (want >= 0 ? b !== want : b !== MessageType.CALL && b !== MessageType.ONEWAY) return 'no';
  }
  return 'yes';
}

/**
 * Detection on a downstream connection: unframed `80 01 00 01|04` or `82 21|81`, or framed with a plausible
 * length (1 byte's worth of message at least, top byte clear) and one of those at offset 4. Old-style non-strict
 * binary and THeader are not claimed (they start like any length-prefixed protocol).
 */
export function matchThrift(head: Buffer): CodecMatch {
  if (head.length === 0) return 'need-more';
  const b0 = head[0] as number;
  if (b0 === 0x80 || b0 === COMPACT_PROTOCOL_ID) return matchMessage(head, 0);
  if (b0 !== 0) return 'no';
  if (head.length < 4) return 'need-more';
  if (head.readUInt32BE(0) < 8) return 'no';
  return matchMessage(head, 4);
}

export class ThriftConnectionCodec implements RpcConnectionCodec {
  private transport: Transport | undefined;
  private protocol: Protocol = 'binary';
  private reader: ThriftReader | undefined;
  private readonly header = newMessageHeader();
  /** Bytes of a partial message, kept across reads, and how many bytes are needed before trying again. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  private need = 0;

  constructor(private readonly maxFrameBytes: number) {}

  decode(chunk: Buffer, out: RpcFrame[]): void {
    let buf: Buffer;
    if (this.partsLen === 0) buf = chunk;
    else {
      // Owned copies: the socket may reuse its read buffer before the message completes.
      this.parts.push(Buffer.from(chunk));
      this.partsLen += chunk.length;
      if (this.partsLen < this.need) return;
      buf = Buffer.concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
    }
    let off = 0;
    while (off < buf.length) {
      const need = this.transport === undefined ? this.detect(buf, off) : 0;
      const r = need > 0 ? need : this.next(buf, off, out);
      if (r > 0) {
        const rest = Buffer.from(buf.subarray(off));
        this.parts = [rest];
        this.partsLen = rest.length;
        this.need = r - off;
        return;
      }
      off = -r;
    }
    this.need = 0;
  }

  /** Decodes the message at `off` into `out` and returns minus its end, or the buffer length needed to do so. */
  private next(buf: Buffer, off: number, out: RpcFrame[]): number {
    const r = this.reader as ThriftReader;
    const max = this.maxFrameBytes;
    let start = off;
    let end = buf.length;
    if (this.transport === 'framed') {
      if (buf.length - off < 4) return off + 4;
      const len = buf.readInt32BE(off);
      if (len <= 0 || len + 4 > max) throw new RpcProtocolError(`thrift: frame length ${len} is invalid or exceeds the limit of ${max}`);
      if (buf.length - off < len + 4) return off + 4 + len;
      start = off + 4;
      end = start + len;
    }
    r.reset(buf, start, end);
    let status: RpcResponseStatus = 'ok';
    try {
      readMessageHeader(r, this.protocol, max, this.header);
      const t = this.header.type;
      if (this.transport === 'unframed') {
        const body = r.pos;
        r.struct(0, false);
        end = r.pos;
        r.pos = body;
        if (end - off > max) throw new RpcProtocolError(`thrift: message of ${end - off} bytes exceeds the limit of ${max}`);
      }
      if (t === MessageType.EXCEPTION) status = 'server_error';
      else if (t === MessageType.REPLY) {
        // Field 0 is the result; any other field is an exception declared in the IDL.
        const id = r.firstFieldId();
        if (id > 0) status = 'client_error';
      }
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      if (this.transport === 'framed') throw new RpcProtocolError('thrift: message is truncated within its frame');
      if (r.needAt - off > max) throw new RpcProtocolError(`thrift: message exceeds the limit of ${max} bytes`);
      return r.needAt;
    }
    this.header.seqidOffset -= off; // the frame's own offsets start at its first byte
    const bytes = Buffer.allocUnsafe(end - off);
    buf.copy(bytes, 0, off, end);
    out.push(new ThriftFrame(bytes, this.transport as Transport, this.protocol, this.header, r.pos - off, status));
    return -end;
  }

  /** Picks the transport and protocol from the connection's first bytes: 0, or the buffer length it needs. */
  private detect(buf: Buffer, off: number): number {
    const avail = buf.length - off;
    if (avail < 2) return off + 2;
    const b0 = buf[off] as number;
    if (b0 === 0x80 || b0 === COMPACT_PROTOCOL_ID) {
      if (b0 === 0x80 && buf[off + 1] !== 0x01) throw new RpcProtocolError('thrift: bad binary protocol version');
      this.set('unframed', b0 === 0x80 ? 'binary' : 'compact');
      return 0;
    }
    if (avail < 8) return off + 8;
    const len = buf.readInt32BE(off);
    if (len <= 0) throw new RpcProtocolError('thrift: not a Thrift stream');
    const b4 = buf[off + 4] as number;
    if (buf.readUInt16BE(off + 4) === THEADER_MAGIC) throw new RpcProtocolError('thrift: the THeader transport is not supported');
    if (b4 === 0x80 || b4 === COMPACT_PROTOCOL_ID) {
      if (b4 === 0x80 && buf[off + 5] !== 0x01) throw new RpcProtocolError('thrift: bad binary protocol version');
      this.set('framed', b4 === 0x80 ? 'binary' : 'compact');
      return 0;
    }
    // Old-style binary: unframed starts with the name length; framed has it after a larger frame length.
    const n1 = buf.readInt32BE(off + 4);
    this.set(n1 >= 0 && n1 + 9 <= len ? 'framed' : 'unframed', 'binary-lax');
    return 0;
  }

  private set(transport: Transport, protocol: Protocol): void {
    this.transport = transport;
    this.protocol = protocol;
    this.reader = newReader(protocol, this.maxFrameBytes);
  }

  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer {
    // rewrite.setHeaders is ignored: outside THeader, Thrift has nowhere to carry headers.
    return withSeqid(asThrift(frame), rewrite.requestId);
  }

  rewriteResponse(frame: RpcFrame, requestId: number): Buffer {
    return withSeqid(asThrift(frame), requestId);
  }

  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
    if (request.oneway) return undefined;
    const f = asThrift(request);
    // The plain method name: clients dispatch replies by it (node's `recv_<name>`), multiplexed or not.
    return encodeAppException(f.transport, f.protocol, f.method, f.requestId, appExceptionType(status), message);
  }

  encodeHeartbeatReply(): Buffer {
    throw new Error('thrift: the protocol has no heartbeats, so none can be answered');
  }

  encodeHeartbeat(): undefined {
    return undefined;
  }

  encodeGoAway(): undefined {
    return undefined;
  }
}

function asThrift(frame: RpcFrame): ThriftFrame {
  if (!(frame instanceof ThriftFrame)) throw new TypeError('thrift codec given a frame it did not decode');
  return frame;
}

export const thriftCodec: RpcCodec = {
  name: 'thrift',
  match: matchThrift,
  createConnectionCodec(options: RpcCodecOptions): RpcConnectionCodec {
    return new ThriftConnectionCodec(options.maxFrameBytes);
  },
};
