/**
 * A small length-prefixed RPC protocol for testing the generic RPC proxy without a real codec. It implements
 * RpcCodec fully (detection, partial frames, size limit, id rewrite, header set, local replies, heartbeats, goaway).
 *
 * Frame: magic (2 bytes) | flags u8 | status u8 | request id u32 | timeout ms u32 | body length u32 | JSON body.
 * Flags: 1 response, 2 oneway, 4 heartbeat, 8 goaway. Body: { service, method, version, group, application,
 * headers, args, result, error }.
 */
import type { RpcCodec, RpcConnectionCodec, RpcFrame, RpcLocalStatus, RpcResponseStatus, RpcRewrite } from '@weft/proxy/interfaces/rpc-codec';
import { RpcProtocolError } from '@weft/proxy/interfaces/rpc-codec';

export const F_RESPONSE = 1;
export const F_ONEWAY = 2;
export const F_HEARTBEAT = 4;
export const F_GOAWAY = 8;
const HEADER = 16;

const STATUSES: readonly RpcResponseStatus[] = ['ok', 'server_error', 'client_error', 'timeout', 'overflow', 'unknown'];
const LOCAL: readonly RpcLocalStatus[] = ['no_route', 'no_healthy_upstream', 'upstream_unavailable', 'timeout', 'overflow', 'rate_limited', 'fault_abort', 'bad_request'];

export interface TestBody {
  service?: string;
  method?: string;
  version?: string;
  group?: string;
  application?: string;
  headers?: Record<string, string>;
  args?: unknown[];
  result?: unknown;
  error?: string;
  /** Requests: the codec reports the frame as undecodable (RpcFrame.badRequest). */
  bad?: string;
  /** Local replies: the proxy's RpcLocalStatus. */
  local?: RpcLocalStatus;
}

export interface TestMessage {
  flags: number;
  /** Index into STATUSES (responses). */
  status: number;
  id: number;
  timeoutMs: number;
  body: TestBody;
}

export function encodeTestFrame(magic: string, m: TestMessage): Buffer {
  const body = Buffer.from(JSON.stringify(m.body));
  const out = Buffer.alloc(HEADER + body.length);
  out.write(magic, 0, 2, 'latin1');
  out[2] = m.flags;
  out[3] = m.status;
  out.writeUInt32BE(m.id >>> 0, 4);
  out.writeUInt32BE(m.timeoutMs >>> 0, 8);
  out.writeUInt32BE(body.length, 12);
  body.copy(out, HEADER);
  return out;
}

/** A decoded test frame (also used by the test peers). */
export class TestFrame implements RpcFrame {
  readonly kind: 'request' | 'response';
  readonly oneway: boolean;
  readonly heartbeat: boolean;
  readonly goAway: boolean;
  readonly badRequest: string | undefined;
  readonly requestId: number;
  readonly service: string;
  readonly method: string;
  readonly version: string;
  readonly group: string;
  readonly application: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly requestTimeoutMs: number;
  readonly status: RpcResponseStatus;
  readonly statusIndex: number;

  constructor(
    readonly bytes: Buffer,
    readonly body: TestBody,
  ) {
    const flags = bytes[2] as number;
    this.kind = (flags & F_RESPONSE) !== 0 ? 'response' : 'request';
    this.oneway = (flags & F_ONEWAY) !== 0;
    this.heartbeat = (flags & F_HEARTBEAT) !== 0;
    this.goAway = (flags & F_GOAWAY) !== 0;
    // A body flagged `bad` stands for a frame the codec delimits but cannot serve.
    this.badRequest = body.bad;
    this.requestId = bytes.readUInt32BE(4);
    this.requestTimeoutMs = bytes.readUInt32BE(8);
    this.statusIndex = bytes[3] as number;
    this.status = STATUSES[this.statusIndex] ?? 'unknown';
    this.service = body.service ?? '';
    this.method = body.method ?? '';
    this.version = body.version ?? '';
    this.group = body.group ?? '';
    this.application = body.application ?? '';
    this.headers = new Map(Object.entries(body.headers ?? {}));
  }

  get size(): number {
    return this.bytes.length;
  }

  args(): readonly unknown[] {
    const a = this.body.args;
    if (a === undefined) return [];
    if (!Array.isArray(a)) throw new RpcProtocolError('args is not a list');
    return a;
  }
}

/** Incremental decoder for one byte stream. */
export class TestDecoder {
  private pending: Buffer | undefined;
  constructor(
    private readonly magic: string,
    private readonly maxFrameBytes: number,
  ) {}

  decode(chunk: Buffer, out: RpcFrame[]): void {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (buf.length >= HEADER) {
      if (buf.toString('latin1', 0, 2) !== this.magic) throw new RpcProtocolError('bad magic');
      const len = buf.readUInt32BE(12);
      if (HEADER + len > this.maxFrameBytes) throw new RpcProtocolError(`frame of ${HEADER + len} bytes over the limit`);
      if (buf.length < HEADER + len) break;
      const bytes = Buffer.from(buf.subarray(0, HEADER + len));
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString('utf8', HEADER));
      } catch (err) {
        throw new RpcProtocolError('bad body', { cause: err });
      }
      if (typeof body !== 'object' || body === null) throw new RpcProtocolError('body is not an object');
      out.push(new TestFrame(bytes, body as TestBody));
      buf = buf.subarray(HEADER + len);
    }
    if (buf.length > 0) this.pending = Buffer.from(buf);
  }

  takePartial(): Buffer {
    const kept = this.pending ?? Buffer.alloc(0);
    this.pending = undefined;
    return kept;
  }
}

function withId(bytes: Buffer, id: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32BE(id >>> 0, 4);
  return out;
}

class TestConnectionCodec implements RpcConnectionCodec {
  private readonly decoder: TestDecoder;
  constructor(
    private readonly magic: string,
    maxFrameBytes: number,
  ) {
    this.decoder = new TestDecoder(magic, maxFrameBytes);
  }

  decode(chunk: Buffer, out: RpcFrame[]): void {
    this.decoder.decode(chunk, out);
  }

  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer {
    const f = frame as TestFrame;
    if (rewrite.setHeaders === undefined) return withId(f.bytes, rewrite.requestId);
    const headers = { ...(f.body.headers ?? {}) };
    for (const [k, v] of rewrite.setHeaders) headers[k] = v;
    const b = f.bytes;
    return encodeTestFrame(this.magic, { flags: b[2] as number, status: b[3] as number, id: rewrite.requestId, timeoutMs: f.requestTimeoutMs, body: { ...f.body, headers } });
  }

  rewriteResponse(frame: RpcFrame, requestId: number): Buffer {
    return withId(frame.bytes, requestId);
  }

  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
    if (request.oneway) return undefined;
    return encodeTestFrame(this.magic, { flags: F_RESPONSE, status: 0x10 + LOCAL.indexOf(status), id: request.requestId, timeoutMs: 0, body: { local: status, error: message } });
  }

  encodeHeartbeatReply(heartbeat: RpcFrame): Buffer {
    return encodeTestFrame(this.magic, { flags: F_RESPONSE | F_HEARTBEAT, status: 0, id: heartbeat.requestId, timeoutMs: 0, body: {} });
  }

  encodeHeartbeat(requestId: number): Buffer | undefined {
    return encodeTestFrame(this.magic, { flags: F_HEARTBEAT, status: 0, id: requestId, timeoutMs: 0, body: {} });
  }

  encodeGoAway(): Buffer | undefined {
    return encodeTestFrame(this.magic, { flags: F_GOAWAY, status: 0, id: 0, timeoutMs: 0, body: {} });
  }

  takePartial(): Buffer {
    return this.decoder.takePartial();
  }
}

/** A test protocol named `name` whose frames start with the 2-byte `magic`. */
export function createTestCodec(name: string, magic: string): RpcCodec {
  return {
    name,
    match(head: Buffer) {
      if (head.length < 2) return head.length === 1 && head[0] !== magic.charCodeAt(0) ? 'no' : 'need-more';
      return head.toString('latin1', 0, 2) === magic ? 'yes' : 'no';
    },
    createConnectionCodec(options) {
      return new TestConnectionCodec(magic, options.maxFrameBytes);
    },
  };
}
