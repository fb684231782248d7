/**
 * The Thrift codec: framed or unframed (buffered) transport, binary (strict, or old-style non-strict) or compact
 * protocol, detected per connection from its first bytes and kept for local replies. Unframed messages are
 * delimited by walking their body struct. THeader frames carry key/value headers (transforms are refused).
 */
import {
  RpcProtocolError,
  type CodecMatch, type RpcCodec, type RpcCodecOptions, type RpcConnectionCodec, type RpcFrame, type RpcLocalStatus,
  type RpcResponseStatus, type RpcRewrite,
} from '../../interfaces/rpc-codec.js';
import { COMPACT_PROTOCOL_ID, MessageType, THEADER_MAGIC, type Protocol, type Transport } from './thrift-constants.js';
import { appExceptionType, encodeAppException, withSeqid } from './thrift-encode.js';
import { NO_HEADERS, ThriftFrame, newReader } from './thrift-frame.js';
import { newMessageHeader, readMessageHeader } from './thrift-message.js';
import { NEED_MORE, type ThriftReader } from './thrift-reader.js';
import { ResumableSkip } from './thrift-skip.js';
import { readTHeader, wrapTHeader } from './thrift-theader.js';
import { PartialFrame } from '../common/partial-frame.js';

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
 * length (top byte clear) and one of those, or THeader's `0f ff`, at offset 4. Old-style non-strict binary is not
 * claimed (it starts like any length-prefixed protocol).
 */
export function matchThrift(head: Buffer): CodecMatch {
  if (head.length === 0) return 'need-more';
  const b0 = head[0] as number;
  if (b0 === 0x80 || b0 === COMPACT_PROTOCOL_ID) return matchMessage(head, 0);
  if (b0 !== 0) return 'no';
  if (head.length < 4) return 'need-more';
  if (head.readUInt32BE(0) < 8) return 'no';
  if (head.length < 5) return 'need-more';
  if (head[4] !== THEADER_MAGIC >> 8) return matchMessage(head, 4);
  if (head.length < 6) return 'need-more';
  return head[5] === (THEADER_MAGIC & 0xff) ? 'yes' : 'no';
}

export class ThriftConnectionCodec implements RpcConnectionCodec {
  private transport: Transport | undefined;
  private protocol: Protocol = 'binary';
  private binaryReader: ThriftReader | undefined;
  private compactReader: ThriftReader | undefined;
  private readonly header = newMessageHeader();
  /** A frame that spans reads. */
  private readonly partial = new PartialFrame();
  /** Unframed: the walk delimiting the message being received, kept across reads. */
  private skip: ResumableSkip | undefined;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes the unframed message walks consumed so far (each byte of a message is walked once, however it arrives). */
  get bytesWalked(): number {
    return this.skip?.walked ?? 0;
  }

  decode(chunk: Buffer, out: RpcFrame[]): void {
    const buf = this.partial.take(chunk);
    if (buf === undefined) return;
    let off = 0;
    while (off < buf.length) {
      const need = this.transport === undefined ? this.detect(buf, off) : 0;
      const r = need > 0 ? need : this.next(buf, off, out);
      if (r > 0) {
        this.partial.keep(buf, off, r - off);
        return;
      }
      off = -r;
    }
    this.partial.reset();
  }


  /** Decodes the message at `off` into `out` and returns minus its end, or the buffer length needed to do so. */
  private next(buf: Buffer, off: number, out: RpcFrame[]): number {
    const max = this.maxFrameBytes;
    let start = off;
    let end = buf.length;
    let protocol = this.protocol;
    let headers = NO_HEADERS;
    if (this.transport !== 'unframed') {
      if (buf.length - off < 4) return off + 4;
      const len = buf.readInt32BE(off);
      if (len <= 0 || len + 4 > max) throw new RpcProtocolError(`thrift: frame length ${len} is invalid or exceeds the limit of ${max}`);
      if (buf.length - off < len + 4) return off + 4 + len;
      start = off + 4;
      end = start + len;
      if (this.transport === 'header') {
        const info = readTHeader(buf, off, end);
        start = info.payload;
        protocol = info.protocol;
        headers = info.headers;
      }
    }
    const r = this.readerFor(protocol);
    r.reset(buf, start, end);
    let status: RpcResponseStatus = 'ok';
    try {
      readMessageHeader(r, protocol, max, this.header);
      const t = this.header.type;
      if (this.transport === 'unframed') {
        const skip = (this.skip ??= new ResumableSkip(max));
        try {
          end = skip.run(buf, off, r.pos, buf.length, protocol === 'compact');
        } catch (e) {
          if (e === NEED_MORE) r.needAt = skip.needAt;
          throw e;
        }
        if (end - off > max) throw new RpcProtocolError(`thrift: message of ${end - off} bytes exceeds the limit of ${max}`);
      }
      if (t === MessageType.EXCEPTION) status = 'server_error';
      else if (t === MessageType.REPLY) {
        // Field 0 is the result; any other field is an exception declared in the IDL: client_error, since the
        // server worked and the call failed by contract (Envoy's response_error, apart from response_exception for
        // EXCEPTION messages), so it is not retried as a server error.
        const id = r.firstFieldId();
        if (id > 0) status = 'client_error';
      }
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      if (this.transport !== 'unframed') throw new RpcProtocolError('thrift: message is truncated within its frame');
      if (r.needAt - off > max) throw new RpcProtocolError(`thrift: message exceeds the limit of ${max} bytes`);
      return r.needAt;
    }
    this.header.seqidOffset -= off; // the frame's own offsets start at its first byte
    const bytes = Buffer.allocUnsafe(end - off);
    buf.copy(bytes, 0, off, end);
    out.push(new ThriftFrame(bytes, this.transport as Transport, protocol, this.header, r.pos - off, status, start - off, headers));
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
    if (buf.readUInt16BE(off + 4) === THEADER_MAGIC) {
      this.set('header', 'binary'); // each frame's header names its payload protocol
      return 0;
    }
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
  }

  private readerFor(protocol: Protocol): ThriftReader {
    if (protocol === 'compact') return (this.compactReader ??= newReader(protocol, this.maxFrameBytes));
    return (this.binaryReader ??= newReader(protocol, this.maxFrameBytes));
  }

  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer {
    const f = asThrift(frame);
    const out = withSeqid(f, rewrite.requestId);
    // Only THeader carries headers: outside it Thrift has nowhere to put them, so setHeaders is ignored.
    const set = rewrite.setHeaders;
    if (f.transport !== 'header' || set === undefined || set.size === 0) return out;
    const headers = new Map(f.headers);
    for (const [k, v] of set) headers.set(k, v);
    return wrapTHeader(f.protocol, rewrite.requestId, headers, out, f.payloadOffset);
  }

  rewriteResponse(frame: RpcFrame, requestId: number): Buffer {
    return withSeqid(asThrift(frame), requestId);
  }

  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
    if (request.oneway) return undefined;
    const f = asThrift(request);
    // The plain method name: clients dispatch replies by it (node's `recv_<name>`), multiplexed or not.
    const type = appExceptionType(status);
    if (f.transport !== 'header') return encodeAppException(f.transport, f.protocol, f.method, f.requestId, type, message);
    const payload = encodeAppException('unframed', f.protocol, f.method, f.requestId, type, message);
    return wrapTHeader(f.protocol, f.requestId, NO_HEADERS, payload);
  }

  encodeHeartbeatReply(): Buffer {
    throw new Error('thrift: the protocol has no heartbeats, so none can be answered');
  }

  encodeHeartbeat(): undefined {
    return undefined;
  }

  takePartial(): Buffer {
    return this.partial.takeAll();
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
