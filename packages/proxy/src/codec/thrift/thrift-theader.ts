/**
 * The THeader transport (Apache Thrift doc/specs/HeaderFormat.md): a frame `LENGTH | 0x0FFF | FLAGS | SEQID |
 * HEADER_SIZE/4 | header | payload` whose header names the payload protocol (0 binary, 2 compact), lists transforms
 * (none supported) and carries key/value info headers. The payload is an ordinary message.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { THEADER_MAGIC, type Protocol } from './thrift-constants.js';

const PROTOCOL_BINARY = 0;
const PROTOCOL_COMPACT = 2;
const INFO_KEYVALUE = 1;
/** Offsets within a THeader frame. */
export const THEADER_SEQID_OFFSET = 8;
export const THEADER_HEADER_OFFSET = 14;

export interface THeaderInfo {
  readonly protocol: Protocol;
  readonly headers: Map<string, string>;
  /** Where the payload starts, as an offset in the buffer read. */
  readonly payload: number;
}

class Cursor {
  constructor(readonly b: Buffer, public p: number, readonly end: number) {}

  varint(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.p >= this.end) throw new RpcProtocolError('thrift: THeader header is truncated');
      const c = this.b[this.p++] as number;
      v |= (c & 0x7f) << shift;
      if (c < 0x80) return v >>> 0;
    }
    throw new RpcProtocolError('thrift: THeader varint too long');
  }

  string(): string {
    const len = this.varint();
    if (this.p + len > this.end) throw new RpcProtocolError('thrift: THeader header string is truncated');
    const s = this.b.toString('utf8', this.p, this.p + len);
    this.p += len;
    return s;
  }
}

/** Reads the THeader fields of the frame at `off` (its length prefix) ending at `end`. */
export function readTHeader(b: Buffer, off: number, end: number): THeaderInfo {
  if (end - off < THEADER_HEADER_OFFSET) throw new RpcProtocolError('thrift: THeader frame is too short');
  if (b.readUInt16BE(off + 4) !== THEADER_MAGIC) throw new RpcProtocolError('thrift: frame is not THeader');
  const headerEnd = off + THEADER_HEADER_OFFSET + b.readUInt16BE(off + 12) * 4;
  if (headerEnd > end) throw new RpcProtocolError('thrift: THeader header size exceeds the frame');
  const c = new Cursor(b, off + THEADER_HEADER_OFFSET, headerEnd);
  const id = c.varint();
  if (id !== PROTOCOL_BINARY && id !== PROTOCOL_COMPACT) throw new RpcProtocolError(`thrift: THeader protocol id ${id} is not supported`);
  if (c.varint() !== 0) throw new RpcProtocolError('thrift: THeader transforms (compression) are not supported');
  const headers = new Map<string, string>();
  // Info blocks until the zero padding; an unknown info type ends the parse (its layout is unknown).
  while (c.p < headerEnd) {
    const type = c.varint();
    if (type !== INFO_KEYVALUE) break;
    const n = c.varint();
    for (let i = 0; i < n; i++) {
      const k = c.string();
      headers.set(k, c.string());
    }
  }
  return { protocol: id === PROTOCOL_COMPACT ? 'compact' : 'binary', headers, payload: headerEnd };
}

function varintSize(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function putVarint(b: Buffer, p: number, u: number): number {
  while (u >= 0x80) {
    b[p++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  b[p++] = u;
  return p;
}

/** A THeader frame around `payload` (an unframed message), with `headers` as one key/value info block. */
export function wrapTHeader(protocol: Protocol, seqid: number, headers: ReadonlyMap<string, string>, payload: Buffer, payloadStart = 0): Buffer {
  let size = 2;
  if (headers.size > 0) {
    size += 1 + varintSize(headers.size);
    for (const [k, v] of headers) {
      const kl = Buffer.byteLength(k);
      const vl = Buffer.byteLength(v);
      size += varintSize(kl) + kl + varintSize(vl) + vl;
    }
  }
  const padded = Math.ceil(size / 4) * 4;
  if (padded / 4 > 0xffff) throw new RpcProtocolError('thrift: THeader headers too large');
  const payloadLen = payload.length - payloadStart;
  const out = Buffer.alloc(THEADER_HEADER_OFFSET + padded + payloadLen);
  out.writeUInt32BE(out.length - 4, 0);
  out.writeUInt16BE(THEADER_MAGIC, 4);
  out.writeInt32BE(seqid | 0, THEADER_SEQID_OFFSET);
  out.writeUInt16BE(padded / 4, 12);
  let p = THEADER_HEADER_OFFSET;
  out[p++] = protocol === 'compact' ? PROTOCOL_COMPACT : PROTOCOL_BINARY;
  out[p++] = 0;
  if (headers.size > 0) {
    out[p++] = INFO_KEYVALUE;
    p = putVarint(out, p, headers.size);
    for (const [k, v] of headers) {
      p = putVarint(out, p, Buffer.byteLength(k));
      p += out.write(k, p, 'utf8');
      p = putVarint(out, p, Buffer.byteLength(v));
      p += out.write(v, p, 'utf8');
    }
  }
  payload.copy(out, THEADER_HEADER_OFFSET + padded, payloadStart);
  return out;
}
