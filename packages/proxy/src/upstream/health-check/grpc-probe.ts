import type * as http2 from 'node:http2';
import { http2 as loadHttp2, NGHTTP2_CANCEL } from '../../server/lazy-builtins.js';
import type { Host } from '../host.js';
import type { GrpcCheckConfig } from './hc-config.js';
import { ProbeOutcome, type Probe, type ProbeCallbacks } from './probe.js';

const SERVING = 1;

/** grpc.health.v1.HealthCheckRequest { string service = 1; } in a gRPC frame. */
export function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const msg: number[] = [];
  if (name.length > 0) {
    msg.push(0x0a);
    let n = name.length;
    while (n > 0x7f) {
      msg.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    msg.push(n);
  }
  const body = Buffer.concat([Buffer.from(msg), name]);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(body.length, 1);
  return Buffer.concat([frame, body]);
}

function readVarint(b: Buffer, pos: { i: number }): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos.i >= b.length) return -1;
    const byte = b[pos.i++] as number;
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return v;
    shift += 7;
    if (shift > 49) return -1;
  }
}

/** The `status` of a framed grpc.health.v1.HealthCheckResponse, or -1 when malformed. */
export function decodeHealthStatus(frame: Buffer): number {
  if (frame.length < 5 || frame[0] !== 0) return -1;
  const len = frame.readUInt32BE(1);
  if (frame.length < 5 + len) return -1;
  const msg = frame.subarray(5, 5 + len);
  const pos = { i: 0 };
  let status = 0; // proto3 default: UNKNOWN
  while (pos.i < msg.length) {
    const tag = readVarint(msg, pos);
    if (tag < 0) return -1;
    const wire = tag & 7;
    if (wire === 0) {
      const v = readVarint(msg, pos);
      if (v < 0) return -1;
      if (tag >>> 3 === 1) status = v;
    } else if (wire === 2) {
      const l = readVarint(msg, pos);
      if (l < 0 || pos.i + l > msg.length) return -1;
      pos.i += l;
    } else if (wire === 1) pos.i += 8;
    else if (wire === 5) pos.i += 4;
    else return -1;
  }
  return status;
}

/** gRPC check: grpc.health.v1.Health/Check over HTTP/2 (node:http2); SERVING is healthy. */
export class GrpcProbe implements Probe {
  private session: http2.ClientHttp2Session | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private readonly request: Buffer;
  private readonly headers: http2.OutgoingHttpHeaders;

  constructor(
    private readonly host: Host,
    cfg: GrpcCheckConfig,
    clusterName: string,
    private readonly reuse: boolean,
    private readonly cb: ProbeCallbacks,
  ) {
    this.request = encodeHealthRequest(cfg.serviceName);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      ':authority': cfg.authority || clusterName,
      ':scheme': 'http',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'Envoy/HC',
    };
    for (const h of cfg.initialMetadata) headers[h.name] = h.value;
    this.headers = headers;
  }

  start(): void {
    let session = this.session;
    if (session === undefined || session.closed || session.destroyed) {
      const addr = this.host.address.includes(':') ? `[${this.host.address}]` : this.host.address;
      const s = loadHttp2().connect(`http://${addr}:${this.host.port}`);
      s.on('error', () => {});
      s.on('close', () => {
        if (this.session === s) this.session = undefined;
      });
      this.session = session = s;
    }
    const stream = session.request(this.headers, { endStream: false });
    this.stream = stream;
    const chunks: Buffer[] = [];
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    stream.on('response', (h) => {
      httpStatus = Number(h[':status']);
      const gs = h['grpc-status'];
      if (gs !== undefined) grpcStatus = String(gs); // trailers-only answer
    });
    stream.on('trailers', (t) => {
      const gs = t['grpc-status'];
      if (gs !== undefined) grpcStatus = String(gs);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => this.done(stream, ProbeOutcome.NETWORK));
    stream.on('close', () => {
      if (httpStatus === 0) {
        this.done(stream, ProbeOutcome.NETWORK);
        return;
      }
      const ok = httpStatus === 200 && grpcStatus === '0' && decodeHealthStatus(Buffer.concat(chunks)) === SERVING;
      this.done(stream, ok ? ProbeOutcome.HEALTHY : ProbeOutcome.FAILED);
    });
    stream.end(this.request);
  }

  cancel(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.close(NGHTTP2_CANCEL);
    this.closeSession();
  }

  close(): void {
    this.cancel();
  }

  private done(stream: http2.ClientHttp2Stream, outcome: ProbeOutcome): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    if (!this.reuse) this.closeSession();
    this.cb.onProbeDone(outcome);
  }

  private closeSession(): void {
    const s = this.session;
    this.session = undefined;
    s?.destroy();
  }
}
