/**
 * One decoded Bolt frame: a view into the bytes as read (not a copy). The fixed header is read when the frame is
 * cut; the header map of a request is looked up then too (routing needs it; a malformed map is a protocol error).
 * SOFARPC's Java client puts service, method and app in the header map; sofa-rpc-node only puts `service` there
 * (method and app live in the hessian2 SofaRequest body), so what the headers lack is read from the body on first
 * use. Both come from the connection's BoltMetaCache, so repeated calls decode nothing; `args()` reads the call
 * arguments on demand.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import type { RpcFrame, RpcResponseStatus } from '../../interfaces/rpc-codec.js';
import { BoltMetaCache, EMPTY_META, type RequestMeta } from './bolt-meta-cache.js';
import { CMD_GOAWAY, CMD_HEARTBEAT, CODEC_HESSIAN2, STATUS, SWITCH_CRC, TYPE_ONEWAY, TYPE_RESPONSE, type Layout } from './bolt-protocol.js';
import { HessianReader, hessianDialect } from './hessian-reader.js';
import { u16, u32 } from '../common/be-bytes.js';

const NO_ARGS: readonly unknown[] = [];
/** For frames built outside a connection codec (tests). */
const SHARED_CACHE = new BoltMetaCache();

export { HEADER_APP, HEADER_CALLER_APP, HEADER_METHOD, HEADER_SERVICE, HEADER_TARGET_SERVICE } from './bolt-meta-cache.js';

export function responseStatusOf(boltStatus: number): RpcResponseStatus {
  switch (boltStatus) {
    case STATUS.SUCCESS:
      return 'ok';
    case STATUS.TIMEOUT:
      return 'timeout';
    case STATUS.SERVER_THREADPOOL_BUSY:
      return 'overflow';
    case STATUS.CLIENT_SEND_ERROR:
    case STATUS.CODEC_EXCEPTION:
    case STATUS.SERVER_DESERIAL_EXCEPTION:
      return 'client_error';
    case STATUS.ERROR:
    case STATUS.SERVER_EXCEPTION:
    case STATUS.UNKNOWN:
    case STATUS.ERROR_COMM:
    case STATUS.NO_PROCESSOR:
    case STATUS.CONNECTION_CLOSED:
    case STATUS.SERVER_SERIAL_EXCEPTION:
      return 'server_error';
    default:
      return 'unknown';
  }
}

export class BoltFrame implements RpcFrame {
  readonly kind: 'request' | 'response';
  readonly oneway: boolean;
  readonly heartbeat: boolean;
  /** A GoAway control frame (cmdcode 100): the peer will take no new requests on this connection. */
  readonly goAway: boolean;
  readonly requestId: number;
  /** Routing metadata of a request (looked up when the frame is cut); empty for other frames. */
  private readonly meta: RequestMeta;
  readonly requestTimeoutMs: number;
  /** The Bolt response status code (responses), for logs. */
  readonly boltStatus: number;
  readonly cmdCode: number;
  readonly codec: number;
  readonly crc: boolean;
  readonly classStart: number;
  readonly headerStart: number;
  readonly contentStart: number;
  readonly contentEnd: number;

  private statusV: RpcResponseStatus | undefined;
  private argsV: readonly unknown[] | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly layout: Layout,
    type: number,
    private readonly cache: BoltMetaCache = SHARED_CACHE,
    /** `bytes.buffer` (see RpcFrame.backing); set from the start so the field keeps one representation. */
    readonly backing: ArrayBufferLike | undefined = undefined,
  ) {
    this.kind = type === TYPE_RESPONSE ? 'response' : 'request';
    this.oneway = type === TYPE_ONEWAY;
    this.cmdCode = u16(bytes, layout.cmd);
    this.heartbeat = this.cmdCode === CMD_HEARTBEAT;
    this.goAway = this.cmdCode === CMD_GOAWAY;
    this.requestId = u32(bytes, layout.id);
    this.codec = bytes[layout.codec] as number;
    this.crc = layout.v2 && ((bytes[11] as number) & SWITCH_CRC) !== 0;
    const classLen = u16(bytes, layout.classLen);
    const headerLen = u16(bytes, layout.headerLen);
    this.classStart = layout.size;
    this.headerStart = this.classStart + classLen;
    this.contentStart = this.headerStart + headerLen;
    this.contentEnd = this.contentStart + u32(bytes, layout.contentLen);
    if (this.kind === 'request') {
      const t = u32(bytes, layout.timeoutOrStatus) | 0;
      this.requestTimeoutMs = t > 0 ? t : 0;
      this.boltStatus = 0;
      this.meta = this.heartbeat || this.goAway
        ? EMPTY_META
        : cache.request(bytes, this.headerStart, this.contentStart, this.contentEnd, this.codec === CODEC_HESSIAN2);
    } else {
      this.requestTimeoutMs = 0;
      this.boltStatus = u16(bytes, layout.timeoutOrStatus);
      this.meta = EMPTY_META;
    }
  }

  get headers(): ReadonlyMap<string, string> {
    return this.meta.headers;
  }

  /**
   * Responses: from the Bolt status; a SUCCESS whose SofaResponse has `isError` set (how a SOFARPC server reports a
   * framework failure, e.g. no such service) is a server error. A business exception (`appResponse` is a Throwable)
   * is a normal response. Read on first use; only the leading fields of the body are decoded.
   */
  get status(): RpcResponseStatus {
    if (this.statusV === undefined) this.statusV = this.kind === 'request' ? 'unknown' : this.responseStatus();
    return this.statusV;
  }

  private responseStatus(): RpcResponseStatus {
    const base = responseStatusOf(this.boltStatus);
    if (base !== 'ok' || this.heartbeat || this.codec !== CODEC_HESSIAN2 || this.contentEnd === this.contentStart) return base;
    try {
      return this.cache.responseIsError(this.bytes, this.classStart, this.headerStart, this.contentStart, this.contentEnd) ? 'server_error' : base;
    } catch {
      return base; // the body is the caller's business; the frame itself is sound
    }
  }

  get className(): string {
    return this.bytes.toString('latin1', this.classStart, this.headerStart);
  }

  get service(): string {
    return this.meta.service;
  }

  get version(): string {
    return this.meta.version;
  }

  get group(): string {
    return this.meta.group;
  }

  get method(): string {
    return this.meta.method;
  }

  get application(): string {
    return this.meta.application;
  }

  get size(): number {
    return this.bytes.length;
  }

  args(): readonly unknown[] {
    if (this.argsV) return this.argsV;
    if (this.kind !== 'request' || this.heartbeat || this.goAway) return (this.argsV = NO_ARGS);
    if (this.codec !== CODEC_HESSIAN2) throw new RpcProtocolError(`bolt: cannot decode arguments of serialization ${this.codec}`);
    const reader = this.bodyReader();
    const req = this.readSofaRequest(reader);
    const sigs = req['methodArgSigs'];
    const n = Array.isArray(sigs) ? sigs.length : 0;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(reader.read());
    return (this.argsV = out);
  }

  private bodyReader(): HessianReader {
    const body = this.bytes.subarray(this.contentStart, this.contentEnd);
    return new HessianReader(this.bytes, hessianDialect(body) === 'draft', this.contentStart, this.contentEnd);
  }

  private readSofaRequest(reader: HessianReader): Record<string, unknown> {
    const v = reader.read();
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new RpcProtocolError('bolt: body is not a SofaRequest');
    return v as Record<string, unknown>;
  }
}
