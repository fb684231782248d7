/** One decoded Thrift message, with what routing needs decoded up front and the arguments on demand. */
import { RpcProtocolError, type RpcFrame, type RpcResponseStatus } from '../../interfaces/rpc-codec.js';
import { MessageType, type Protocol, type Transport } from './thrift-constants.js';
import type { MessageHeader } from './thrift-message.js';
import { BinaryReader, CompactReader, NEED_MORE, type ThriftReader } from './thrift-reader.js';

/** Thrift has no headers outside THeader, so those frames share one empty map. */
export const NO_HEADERS: ReadonlyMap<string, string> = new Map();

export class ThriftFrame implements RpcFrame {
  readonly kind: 'request' | 'response';
  readonly oneway: boolean;
  readonly heartbeat = false;
  readonly requestId: number;
  readonly service: string;
  readonly method: string;
  readonly version = '';
  readonly group = '';
  readonly application = '';
  readonly requestTimeoutMs = 0;
  readonly messageType: MessageType;
  /** The message name as sent (`Service:method` under TMultiplexedProtocol). */
  readonly name: string;
  /** Offsets within `bytes`: the seqid (and its encoded length) and the body struct. */
  readonly seqidOffset: number;
  readonly seqidLen: number;
  private cachedArgs: readonly unknown[] | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly transport: Transport,
    readonly protocol: Protocol,
    h: MessageHeader,
    readonly bodyOffset: number,
    readonly status: RpcResponseStatus,
    /** Where the message starts: 0 unframed, 4 framed, after the THeader header block. */
    readonly payloadOffset: number,
    /** THeader key/value headers. */
    readonly headers: ReadonlyMap<string, string> = NO_HEADERS,
  ) {
    const t = h.type;
    this.messageType = t;
    this.kind = t === MessageType.CALL || t === MessageType.ONEWAY ? 'request' : 'response';
    this.oneway = t === MessageType.ONEWAY;
    this.requestId = h.seqid;
    this.name = h.name;
    // TMultiplexedProtocol prefixes the service name and a colon.
    const colon = h.name.indexOf(':');
    this.service = colon < 0 ? '' : h.name.slice(0, colon);
    this.method = colon < 0 ? h.name : h.name.slice(colon + 1);
    this.seqidOffset = h.seqidOffset;
    this.seqidLen = h.seqidLen;
  }

  /** The body struct's field values ordered by field id; nested structs likewise, maps as objects. */
  get size(): number {
    return this.bytes.length;
  }

  args(): readonly unknown[] {
    if (this.cachedArgs !== undefined) return this.cachedArgs;
    const r = newReader(this.protocol, this.bytes.length);
    r.reset(this.bytes, this.bodyOffset, this.bytes.length);
    let v: unknown[] | undefined;
    try {
      v = r.struct(0, true);
    } catch (e) {
      if (e === NEED_MORE) throw new RpcProtocolError('thrift: message body is truncated');
      throw e;
    }
    this.cachedArgs = v ?? [];
    return this.cachedArgs;
  }
}

export function newReader(protocol: Protocol, maxBytes: number): ThriftReader {
  return protocol === 'compact' ? new CompactReader(maxBytes) : new BinaryReader(maxBytes);
}
