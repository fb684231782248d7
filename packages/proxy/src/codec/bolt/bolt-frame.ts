/**
 * One decoded Bolt frame. The fixed header is read when the frame is cut; the header map of a request is decoded
 * then too (routing needs it). SOFARPC's Java client puts service, method and app in the header map; sofa-rpc-node
 * only puts `service` there (method and app live in the hessian2 SofaRequest body), so what the headers lack is read
 * from the body on first use, once, and `args()` reads the call arguments the same way.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import type { RpcFrame, RpcResponseStatus } from '../../interfaces/rpc-codec.js';
import { decodeHeaderMap } from './bolt-header-map.js';
import { CMD_GOAWAY, CMD_HEARTBEAT, CODEC_HESSIAN2, STATUS, SWITCH_CRC, TYPE_ONEWAY, TYPE_RESPONSE, type Layout } from './bolt-protocol.js';
import { HessianReader, hessianDialect } from './hessian-reader.js';

const EMPTY_HEADERS: ReadonlyMap<string, string> = new Map();
const SOFA_RESPONSE = Buffer.from('com.alipay.sofa.rpc.core.response.SofaResponse', 'latin1');
const IS_ERROR = new Set(['isError']);
const NO_ARGS: readonly unknown[] = [];

/** Header names SOFARPC uses for routing metadata. */
export const HEADER_SERVICE = 'service';
export const HEADER_TARGET_SERVICE = 'sofa_head_target_service';
export const HEADER_METHOD = 'sofa_head_method_name';
export const HEADER_CALLER_APP = 'rpc_trace_context.sofaCallerApp';
export const HEADER_APP = 'app';

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

interface SofaRequestHead {
  readonly targetServiceUniqueName: string;
  readonly methodName: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export class BoltFrame implements RpcFrame {
  readonly kind: 'request' | 'response';
  readonly oneway: boolean;
  readonly heartbeat: boolean;
  /** A GoAway control frame (cmdcode 100): the peer will take no new requests on this connection. */
  readonly goAway: boolean;
  readonly requestId: number;
  readonly headers: ReadonlyMap<string, string>;
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
  private resolved = false;
  private serviceV = '';
  private versionV = '';
  private groupV = '';
  private methodV = '';
  private appV = '';
  private argsV: readonly unknown[] | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly layout: Layout,
    type: number,
  ) {
    this.kind = type === TYPE_RESPONSE ? 'response' : 'request';
    this.oneway = type === TYPE_ONEWAY;
    this.cmdCode = bytes.readUInt16BE(layout.cmd);
    this.heartbeat = this.cmdCode === CMD_HEARTBEAT;
    this.goAway = this.cmdCode === CMD_GOAWAY;
    this.requestId = bytes.readUInt32BE(layout.id);
    this.codec = bytes[layout.codec] as number;
    this.crc = layout.v2 && ((bytes[11] as number) & SWITCH_CRC) !== 0;
    const classLen = bytes.readUInt16BE(layout.classLen);
    const headerLen = bytes.readUInt16BE(layout.headerLen);
    this.classStart = layout.size;
    this.headerStart = this.classStart + classLen;
    this.contentStart = this.headerStart + headerLen;
    this.contentEnd = this.contentStart + bytes.readUInt32BE(layout.contentLen);
    if (this.kind === 'request') {
      const t = bytes.readInt32BE(layout.timeoutOrStatus);
      this.requestTimeoutMs = t > 0 ? t : 0;
      this.boltStatus = 0;
      this.headers = headerLen > 0 && !this.heartbeat ? decodeHeaderMap(bytes, this.headerStart, this.contentStart) : EMPTY_HEADERS;
    } else {
      this.requestTimeoutMs = 0;
      this.boltStatus = bytes.readUInt16BE(layout.timeoutOrStatus);
      this.headers = EMPTY_HEADERS;
    }
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
    if (this.bytes.compare(SOFA_RESPONSE, 0, SOFA_RESPONSE.length, this.classStart, this.headerStart) !== 0) return base;
    try {
      return this.bodyReader().readObjectPrefix(IS_ERROR)['isError'] === true ? 'server_error' : base;
    } catch {
      return base; // the body is the caller's business; the frame itself is sound
    }
  }

  get className(): string {
    return this.bytes.toString('latin1', this.classStart, this.headerStart);
  }

  get service(): string {
    this.resolve();
    return this.serviceV;
  }

  get version(): string {
    this.resolve();
    return this.versionV;
  }

  get group(): string {
    this.resolve();
    return this.groupV;
  }

  get method(): string {
    this.resolve();
    return this.methodV;
  }

  get application(): string {
    this.resolve();
    return this.appV;
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

  /** Routing metadata: headers first, then (only for what they lack) the SofaRequest body. */
  private resolve(): void {
    if (this.resolved) return;
    this.resolved = true;
    if (this.kind !== 'request' || this.heartbeat || this.goAway) return;
    const h = this.headers;
    let unique = h.get(HEADER_SERVICE) || h.get(HEADER_TARGET_SERVICE) || '';
    let method = h.get(HEADER_METHOD) ?? '';
    const app = h.get(HEADER_APP) || h.get(HEADER_CALLER_APP) || '';
    if ((unique === '' || method === '') && this.codec === CODEC_HESSIAN2 && this.contentEnd > this.contentStart) {
      const head = this.bodyHead();
      if (head) {
        if (unique === '') unique = head.targetServiceUniqueName;
        if (method === '') method = head.methodName;
      }
    }
    // interface:version[:uniqueId]
    const c1 = unique.indexOf(':');
    if (c1 < 0) this.serviceV = unique;
    else {
      this.serviceV = unique.slice(0, c1);
      const c2 = unique.indexOf(':', c1 + 1);
      this.versionV = c2 < 0 ? unique.slice(c1 + 1) : unique.slice(c1 + 1, c2);
      this.groupV = c2 < 0 ? '' : unique.slice(c2 + 1);
    }
    this.methodV = method;
    this.appV = app;
  }

  private bodyHead(): SofaRequestHead | undefined {
    try {
      const req = this.readSofaRequest(this.bodyReader());
      return { targetServiceUniqueName: str(req['targetServiceUniqueName']), methodName: str(req['methodName']) };
    } catch {
      return undefined; // metadata is best effort; args() reports the broken body
    }
  }
}
