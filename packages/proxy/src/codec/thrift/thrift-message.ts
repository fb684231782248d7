/** The Thrift message header (name, type, seqid) in each protocol, read with a ThriftReader. */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { COMPACT_PROTOCOL_ID, COMPACT_VERSION, MessageType, type Protocol } from './thrift-constants.js';
import type { CompactReader, ThriftReader } from './thrift-reader.js';

/** Filled in place by readMessageHeader (one per connection codec, not one per frame). */
export interface MessageHeader {
  name: string;
  type: MessageType;
  seqid: number;
  /** Offset of the seqid in the buffer read, and its encoded length (4, or the compact varint's 1..5 bytes). */
  seqidOffset: number;
  seqidLen: number;
}

export function newMessageHeader(): MessageHeader {
  return { name: '', type: MessageType.CALL, seqid: 0, seqidOffset: 0, seqidLen: 4 };
}

function checkType(t: number): MessageType {
  if (t < MessageType.CALL || t > MessageType.ONEWAY) throw new RpcProtocolError(`thrift: invalid message type ${t}`);
  return t as MessageType;
}

/** Reads the header at the reader's cursor, leaving it on the message body. May throw NEED_MORE. */
export function readMessageHeader(r: ThriftReader, protocol: Protocol, maxBytes: number, h: MessageHeader): void {
  const b = r.buf;
  if (protocol === 'compact') {
    const p = r.take(2);
    if (b[p] !== COMPACT_PROTOCOL_ID) throw new RpcProtocolError('thrift: bad compact protocol id');
    const vt = b[p + 1] as number;
    if ((vt & 0x1f) !== COMPACT_VERSION) throw new RpcProtocolError(`thrift: unsupported compact version ${vt & 0x1f}`);
    h.type = checkType(vt >> 5);
    const cr = r as CompactReader;
    h.seqidOffset = r.pos;
    h.seqid = cr.varint32() | 0;
    h.seqidLen = r.pos - h.seqidOffset;
    h.name = readName(r, cr.varint32(), maxBytes);
    return;
  }
  if (protocol === 'binary') {
    const p = r.take(4);
    if (b.readUInt16BE(p) !== 0x8001) throw new RpcProtocolError('thrift: bad binary protocol version');
    h.type = checkType(b[p + 3] as number);
    h.name = readName(r, b.readInt32BE(r.take(4)), maxBytes);
  } else {
    // Old-style (non-strict) binary: the name comes first, then a type byte.
    h.name = readName(r, b.readInt32BE(r.take(4)), maxBytes);
    h.type = checkType(b[r.take(1)] as number);
  }
  h.seqidOffset = r.take(4);
  h.seqidLen = 4;
  h.seqid = b.readInt32BE(h.seqidOffset);
}

function readName(r: ThriftReader, len: number, maxBytes: number): string {
  if (len < 0 || len > maxBytes) throw new RpcProtocolError(`thrift: method name length ${len} is invalid`);
  const p = r.take(len);
  return r.buf.toString('utf8', p, p + len);
}
