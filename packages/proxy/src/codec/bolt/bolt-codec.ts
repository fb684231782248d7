/**
 * The Bolt codec (SOFARPC's transport), v1 and v2: detection, per-connection framing with partial frames kept
 * across reads, a frame size limit, v2 CRC32 checked on the way in and recomputed on every rewrite, request-id and
 * header-map rewrites, and protocol-native local replies, heartbeats and GoAway.
 */
import { crc32 } from 'node:zlib';
import {
  RpcProtocolError,
  type CodecMatch, type RpcCodec, type RpcCodecOptions, type RpcConnectionCodec, type RpcFrame, type RpcLocalStatus,
  type RpcRewrite,
} from '../../interfaces/rpc-codec.js';
import { BoltFrame } from './bolt-frame.js';
import { BoltMetaCache } from './bolt-meta-cache.js';
import {
  V1_DIALECT, dialectOf, encodeGoAwayRequest, encodeHeartbeatAck, encodeHeartbeatRequest, encodeLocalReply, patchRequestId,
  withHeaders, withRequestId, type BoltDialect,
} from './bolt-encode.js';
import { PartialFrame } from '../common/partial-frame.js';
import { u16, u32 } from '../common/be-bytes.js';
import {
  CMD_GOAWAY, CMD_HEARTBEAT, CMD_REQUEST, CMD_RESPONSE, CRC_LEN, PROTO_V1, PROTO_V2, SWITCH_CRC, TYPE_ONEWAY,
  TYPE_REQUEST, TYPE_RESPONSE, V1_REQUEST, V1_RESPONSE, V2_REQUEST, V2_RESPONSE, typeOffset, type Layout,
} from './bolt-protocol.js';

/**
 * Detection on a downstream connection's first bytes: a client's first frame is a request, oneway or heartbeat.
 * v1: `01 01|02 00 00|01 01`; v2: `02 01|02 01|02 00 00|01 01`. Byte by byte, `no` as soon as one does not fit,
 * `yes` only once all of them do (ver2 = 01 rules out Thrift's framed `80`/`82` and HTTP's ASCII).
 */
export function matchBolt(head: Buffer): CodecMatch {
  if (head.length === 0) return 'need-more';
  const proto = head[0];
  if (proto !== PROTO_V1 && proto !== PROTO_V2) return 'no';
  let p = 1;
  if (proto === PROTO_V2) {
    if (head.length < 2) return 'need-more';
    const ver1 = head[1];
    if (ver1 !== 1 && ver1 !== 2) return 'no';
    p = 2;
  }
  if (head.length <= p) return 'need-more';
  const type = head[p];
  if (type !== TYPE_REQUEST && type !== TYPE_ONEWAY) return 'no';
  if (head.length <= p + 1) return 'need-more';
  if (head[p + 1] !== 0) return 'no';
  if (head.length <= p + 2) return 'need-more';
  const cmd = head[p + 2];
  if (cmd !== CMD_REQUEST && !(cmd === CMD_HEARTBEAT && type === TYPE_REQUEST)) return 'no';
  if (head.length <= p + 3) return 'need-more';
  return head[p + 3] === 1 ? 'yes' : 'no';
}

function layoutOf(v2: boolean, type: number): Layout {
  if (type === TYPE_RESPONSE) return v2 ? V2_RESPONSE : V1_RESPONSE;
  return v2 ? V2_REQUEST : V1_REQUEST;
}

/** The cmdcodes each frame type may carry. */
function validCmd(type: number, cmd: number): boolean {
  if (type === TYPE_RESPONSE) return cmd === CMD_RESPONSE || cmd === CMD_HEARTBEAT;
  if (type === TYPE_REQUEST) return cmd === CMD_REQUEST || cmd === CMD_HEARTBEAT || cmd === CMD_GOAWAY;
  return cmd === CMD_REQUEST;
}

export class BoltConnectionCodec implements RpcConnectionCodec {
  /** A frame that spans reads. */
  private readonly partial = new PartialFrame();
  /** The dialect last seen on this connection, for frames the proxy originates (heartbeat, GoAway). */
  private dialect: BoltDialect = V1_DIALECT;
  private readonly cache = new BoltMetaCache();

  constructor(private readonly maxFrameBytes: number) {}

  decode(chunk: Buffer, out: RpcFrame[]): void {
    const buf = this.partial.take(chunk);
    if (buf === undefined) return;
    let off = 0;
    const backing = buf.buffer;
    while (off < buf.length) {
      const len = this.frameLength(buf, off);
      if (len < 0 || off + len > buf.length) {
        this.partial.keep(buf, off, len < 0 ? -len : len);
        return;
      }
      // A view, not a copy: read buffers are never reused, and a frame that spanned reads was joined into its own.
      const bytes = buf.subarray(off, off + len);
      off += len;
      out.push(this.cut(bytes, backing));
    }
    this.partial.reset();
  }


  /** Total length of the frame at `off`, or minus the bytes needed to know it; throws on a malformed header. */
  private frameLength(buf: Buffer, off: number): number {
    const avail = buf.length - off;
    const proto = buf[off] as number;
    if (proto !== PROTO_V1 && proto !== PROTO_V2) throw new RpcProtocolError(`bolt: unknown protocol code 0x${proto.toString(16)}`);
    const v2 = proto === PROTO_V2;
    const tOff = typeOffset(proto);
    if (avail <= tOff) return -(tOff + 1);
    if (v2) {
      const ver1 = buf[off + 1] as number;
      if (ver1 !== 1 && ver1 !== 2) throw new RpcProtocolError(`bolt: unknown v2 protocol version ${ver1}`);
    }
    const type = buf[off + tOff] as number;
    if (type > TYPE_ONEWAY) throw new RpcProtocolError(`bolt: unknown command type ${type}`);
    const l = layoutOf(v2, type);
    if (avail < l.size) return -l.size;
    const cmd = u16(buf, off + l.cmd);
    if (!validCmd(type, cmd)) throw new RpcProtocolError(`bolt: command code ${cmd} is not valid for type ${type}`);
    const crc = v2 && ((buf[off + 11] as number) & SWITCH_CRC) !== 0;
    const len = l.size + u16(buf, off + l.classLen) + u16(buf, off + l.headerLen) + u32(buf, off + l.contentLen) + (crc ? CRC_LEN : 0);
    if (len > this.maxFrameBytes) throw new RpcProtocolError(`bolt: frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}`);
    return len;
  }

  private cut(bytes: Buffer, backing: ArrayBufferLike): BoltFrame {
    const v2 = bytes[0] === PROTO_V2;
    const type = bytes[typeOffset(bytes[0] as number)] as number;
    const frame = new BoltFrame(bytes, layoutOf(v2, type), type, this.cache, backing);
    if (frame.crc) {
      const expected = bytes.readUInt32BE(bytes.length - CRC_LEN);
      if (crc32(bytes.subarray(0, bytes.length - CRC_LEN)) !== expected) throw new RpcProtocolError('bolt: CRC32 check failed');
    }
    this.noteDialect(frame);
    return frame;
  }

  private noteDialect(f: BoltFrame): void {
    const d = this.dialect;
    const b = f.bytes;
    if (f.layout.v2 !== d.v2 || (d.v2 && (b[1] !== d.ver1 || b[11] !== d.switchByte))) this.dialect = dialectOf(f);
  }

  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer {
    const f = asBolt(frame);
    this.noteDialect(f);
    if (rewrite.setHeaders && rewrite.setHeaders.size > 0 && !f.heartbeat) return withHeaders(f, rewrite.requestId, rewrite.setHeaders);
    return rewrite.inPlace === true ? patchRequestId(f, rewrite.requestId) : withRequestId(f, rewrite.requestId);
  }

  rewriteResponse(frame: RpcFrame, requestId: number): Buffer {
    return patchRequestId(asBolt(frame), requestId);
  }

  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
    if (request.oneway) return undefined;
    return encodeLocalReply(asBolt(request), status, message);
  }

  encodeHeartbeatReply(heartbeat: RpcFrame): Buffer {
    return encodeHeartbeatAck(asBolt(heartbeat));
  }

  encodeHeartbeat(requestId: number): Buffer {
    return encodeHeartbeatRequest(this.dialect, requestId);
  }

  encodeGoAway(): Buffer {
    return encodeGoAwayRequest(this.dialect);
  }

  takePartial(): Buffer {
    return this.partial.takeAll();
  }
}

function asBolt(frame: RpcFrame): BoltFrame {
  if (!(frame instanceof BoltFrame)) throw new TypeError('bolt codec given a frame it did not decode');
  return frame;
}

export const boltCodec: RpcCodec = {
  name: 'bolt',
  match: matchBolt,
  // sofa-rpc-node cannot decode a GoAway (cmdcode 100) and drops the connection, failing the calls in flight.
  goAwayOnlyWhenIdle: true,
  createConnectionCodec(options: RpcCodecOptions): RpcConnectionCodec {
    return new BoltConnectionCodec(options.maxFrameBytes);
  },
};
