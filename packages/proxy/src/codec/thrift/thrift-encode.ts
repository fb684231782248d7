/** Bytes the proxy writes: seqid rewrites and TApplicationException local replies, in the frame's own encoding. */
import type { RpcLocalStatus } from '../../interfaces/rpc-codec.js';
import { AppExceptionType, CType, MessageType, TType, type Protocol, type Transport } from './thrift-constants.js';
import type { ThriftFrame } from './thrift-frame.js';
import { THEADER_SEQID_OFFSET } from './thrift-theader.js';

function varintLength(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, off: number, u: number): number {
  while (u >= 0x80) {
    buf[off++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[off++] = u;
  return off;
}

/** A copy of `frame.bytes` carrying `seqid` (the original may still be queued on another socket). */
export function withSeqid(frame: ThriftFrame, seqid: number): Buffer {
  const src = frame.bytes;
  const at = frame.seqidOffset;
  const header = frame.transport === 'header';
  if (frame.protocol !== 'compact') {
    const out = Buffer.from(src);
    out.writeInt32BE(seqid | 0, at);
    if (header) out.writeInt32BE(seqid | 0, THEADER_SEQID_OFFSET);
    return out;
  }
  // Compact: the seqid is an unsigned varint before the name; a different length moves everything after it.
  const u = seqid >>> 0;
  const len = varintLength(u);
  if (len === frame.seqidLen) {
    const out = Buffer.from(src);
    writeVarint(out, at, u);
    if (header) out.writeInt32BE(seqid | 0, THEADER_SEQID_OFFSET);
    return out;
  }
  const out = Buffer.allocUnsafe(src.length - frame.seqidLen + len);
  src.copy(out, 0, 0, at);
  const after = writeVarint(out, at, u);
  src.copy(out, after, at + frame.seqidLen);
  if (frame.transport !== 'unframed') out.writeUInt32BE(out.length - 4, 0);
  if (header) out.writeInt32BE(seqid | 0, THEADER_SEQID_OFFSET);
  return out;
}

/**
 * The TApplicationException type for each local failure, as Envoy's thrift_proxy answers them: no route is
 * UNKNOWN_METHOD, an undecodable request PROTOCOL_ERROR, every upstream-side failure INTERNAL_ERROR.
 */
export function appExceptionType(status: RpcLocalStatus): AppExceptionType {
  switch (status) {
    case 'no_route': return AppExceptionType.UNKNOWN_METHOD;
    case 'bad_request': return AppExceptionType.PROTOCOL_ERROR;
    case 'no_healthy_upstream':
    case 'upstream_unavailable':
    case 'timeout':
    case 'overflow':
    case 'rate_limited':
    case 'fault_abort':
      return AppExceptionType.INTERNAL_ERROR;
  }
}

/** An EXCEPTION message `{1: string message, 2: i32 type}` named and numbered like the request. */
export function encodeAppException(
  transport: Exclude<Transport, 'header'>, protocol: Protocol, name: string, seqid: number, type: AppExceptionType, message: string,
): Buffer {
  const nameLen = Buffer.byteLength(name);
  const msgLen = Buffer.byteLength(message);
  const pre = transport === 'framed' ? 4 : 0;
  let out: Buffer;
  let p = pre;
  if (protocol === 'compact') {
    const u = seqid >>> 0;
    const zz = ((type << 1) ^ (type >> 31)) >>> 0;
    const size = 2 + varintLength(u) + varintLength(nameLen) + nameLen + 1 + varintLength(msgLen) + msgLen + 1 + varintLength(zz) + 1;
    out = Buffer.allocUnsafe(pre + size);
    out[p++] = 0x82;
    out[p++] = (MessageType.EXCEPTION << 5) | 1;
    p = writeVarint(out, p, u);
    p = writeVarint(out, p, nameLen);
    p += out.write(name, p, 'utf8');
    out[p++] = (1 << 4) | CType.BINARY;
    p = writeVarint(out, p, msgLen);
    p += out.write(message, p, 'utf8');
    out[p++] = (1 << 4) | CType.I32;
    p = writeVarint(out, p, zz);
    out[p++] = CType.STOP;
  } else {
    const strict = protocol === 'binary';
    const size = (strict ? 8 : 5) + nameLen + 4 + 3 + 4 + msgLen + 3 + 4 + 1;
    out = Buffer.allocUnsafe(pre + size);
    if (strict) {
      p = out.writeInt32BE(0x80010000 | MessageType.EXCEPTION, p);
      p = out.writeInt32BE(nameLen, p);
      p += out.write(name, p, 'utf8');
    } else {
      p = out.writeInt32BE(nameLen, p);
      p += out.write(name, p, 'utf8');
      out[p++] = MessageType.EXCEPTION;
    }
    p = out.writeInt32BE(seqid | 0, p);
    out[p++] = TType.STRING;
    p = out.writeInt16BE(1, p);
    p = out.writeInt32BE(msgLen, p);
    p += out.write(message, p, 'utf8');
    out[p++] = TType.I32;
    p = out.writeInt16BE(2, p);
    p = out.writeInt32BE(type, p);
    out[p++] = TType.STOP;
  }
  if (pre) out.writeUInt32BE(out.length - 4, 0);
  return out;
}
