/**
 * Builds Bolt frames the proxy writes itself (local replies, heartbeats, GoAway) and the rewritten copies of frames it
 * forwards. A frame the proxy answers is answered in the caller's own dialect: same protocol version, ver1, switch
 * (CRC) and serialization, so any Bolt client reads it.
 */
import { crc32 } from 'node:zlib';
import { RpcProtocolError, type RpcLocalStatus } from '../../interfaces/rpc-codec.js';
import type { BoltFrame } from './bolt-frame.js';
import { encodeHeaderMap } from './bolt-header-map.js';
import { putU32 } from '../common/be-bytes.js';
import {
  CMD_GOAWAY, CMD_HEARTBEAT, CMD_RESPONSE, CODEC_HESSIAN2, CODEC_PROTOBUF, CRC_LEN, PROTO_V1, PROTO_V2, STATUS, SWITCH_CRC,
  TYPE_REQUEST, TYPE_RESPONSE, V1_REQUEST, V1_RESPONSE, V2_REQUEST, V2_RESPONSE,
} from './bolt-protocol.js';
import { hessianDialect } from './hessian-reader.js';
import { RPC_SERVER_EXCEPTION, encodeRpcServerException } from './hessian-writer.js';

/** How a connection speaks: protocol version, v2's ver1 and switch byte. */
export interface BoltDialect {
  readonly v2: boolean;
  readonly ver1: number;
  readonly switchByte: number;
}

export const V1_DIALECT: BoltDialect = { v2: false, ver1: 1, switchByte: 0 };

export function dialectOf(frame: BoltFrame): BoltDialect {
  if (!frame.layout.v2) return V1_DIALECT;
  return { v2: true, ver1: frame.bytes[1] as number, switchByte: frame.bytes[11] as number };
}

/**
 * Bolt status per local failure, following MOSN's mapping where it has one: no route -> NO_PROCESSOR, no healthy
 * upstream -> CONNECTION_CLOSED, overflow -> SERVER_THREADPOOL_BUSY, timeout -> TIMEOUT, bad request ->
 * CODEC_EXCEPTION. A refused connection is a CONNECTION_CLOSED too; a rate limit is server-busy (what a Java client
 * backs off on); an injected abort looks like a server exception.
 */
export function boltStatusFor(status: RpcLocalStatus): number {
  switch (status) {
    case 'no_route':
      return STATUS.NO_PROCESSOR;
    case 'no_healthy_upstream':
    case 'upstream_unavailable':
      return STATUS.CONNECTION_CLOSED;
    case 'timeout':
      return STATUS.TIMEOUT;
    case 'overflow':
    case 'rate_limited':
      return STATUS.SERVER_THREADPOOL_BUSY;
    case 'fault_abort':
      return STATUS.SERVER_EXCEPTION;
    case 'bad_request':
      return STATUS.CODEC_EXCEPTION;
  }
}

/** Writes the CRC32 of everything before the trailer into the last four bytes. */
export function writeCrc(frame: Buffer): void {
  frame.writeUInt32BE(crc32(frame.subarray(0, frame.length - CRC_LEN)), frame.length - CRC_LEN);
}

function hasCrc(d: BoltDialect): boolean {
  return d.v2 && (d.switchByte & SWITCH_CRC) !== 0;
}

/** A frame with the given fixed fields and sections; `timeoutOrStatus` is 4 bytes for requests, 2 for responses. */
function buildFrame(
  d: BoltDialect, type: number, cmd: number, id: number, codec: number, timeoutOrStatus: number,
  className: string, header: Buffer | undefined, content: Buffer | undefined,
): Buffer {
  const response = type === TYPE_RESPONSE;
  const l = d.v2 ? (response ? V2_RESPONSE : V2_REQUEST) : response ? V1_RESPONSE : V1_REQUEST;
  const classLen = Buffer.byteLength(className, 'latin1');
  const headerLen = header?.length ?? 0;
  const contentLen = content?.length ?? 0;
  const crc = hasCrc(d);
  const out = Buffer.alloc(l.size + classLen + headerLen + contentLen + (crc ? CRC_LEN : 0));
  out[0] = d.v2 ? PROTO_V2 : PROTO_V1;
  if (d.v2) {
    out[1] = d.ver1;
    out[11] = d.switchByte;
  }
  out[l.type] = type;
  out.writeUInt16BE(cmd, l.cmd);
  out[l.cmd + 2] = 1; // ver2
  out.writeUInt32BE(id >>> 0, l.id);
  out[l.codec] = codec;
  if (response) out.writeUInt16BE(timeoutOrStatus, l.timeoutOrStatus);
  else out.writeInt32BE(timeoutOrStatus, l.timeoutOrStatus);
  out.writeUInt16BE(classLen, l.classLen);
  out.writeUInt16BE(headerLen, l.headerLen);
  out.writeUInt32BE(contentLen, l.contentLen);
  let p = l.size + out.write(className, l.size, 'latin1');
  if (header) p += header.copy(out, p);
  if (content) content.copy(out, p);
  if (crc) writeCrc(out);
  return out;
}

export function encodeLocalReply(request: BoltFrame, status: RpcLocalStatus, message: string): Buffer {
  const d = dialectOf(request);
  const body = request.bytes.subarray(request.contentStart, request.contentEnd);
  // hessian2 gets a serialized RpcServerException; protobuf SOFARPC carries the exception as its UTF-8 message;
  // other serializations get the status alone (clients then show their generic message for it).
  let content: Buffer | undefined;
  if (request.codec === CODEC_HESSIAN2) content = encodeRpcServerException(message, hessianDialect(body));
  else if (request.codec === CODEC_PROTOBUF) content = Buffer.from(message, 'utf8');
  return buildFrame(d, TYPE_RESPONSE, CMD_RESPONSE, request.requestId, request.codec, boltStatusFor(status), content ? RPC_SERVER_EXCEPTION : '', undefined, content);
}

export function encodeHeartbeatAck(heartbeat: BoltFrame): Buffer {
  return buildFrame(dialectOf(heartbeat), TYPE_RESPONSE, CMD_HEARTBEAT, heartbeat.requestId, heartbeat.codec, STATUS.SUCCESS, '', undefined, undefined);
}

/** A heartbeat request; timeout -1 (none), as MOSN sends it. */
export function encodeHeartbeatRequest(d: BoltDialect, requestId: number): Buffer {
  return buildFrame(d, TYPE_REQUEST, CMD_HEARTBEAT, requestId, CODEC_HESSIAN2, -1, '', undefined, undefined);
}

/** MOSN's GoAway: a request with cmdcode 100, id 0, no timeout and no sections. */
export function encodeGoAwayRequest(d: BoltDialect): Buffer {
  return buildFrame(d, TYPE_REQUEST, CMD_GOAWAY, 0, CODEC_HESSIAN2, 0, '', undefined, undefined);
}

/** A copy of `frame` with another request id (and CRC). */
export function withRequestId(frame: BoltFrame, requestId: number): Buffer {
  const out = Buffer.allocUnsafe(frame.bytes.length);
  frame.bytes.copy(out);
  out.writeUInt32BE(requestId >>> 0, frame.layout.id);
  if (frame.crc) writeCrc(out);
  return out;
}

/** `frame` itself with another request id (and CRC), for a frame forwarded exactly once. */
export function patchRequestId(frame: BoltFrame, requestId: number): Buffer {
  const b = frame.bytes;
  putU32(b, frame.layout.id, requestId >>> 0);
  if (frame.crc) writeCrc(b);
  return b;
}

/** A copy of a request with another id and its header map re-encoded with `set` applied (CRC recomputed). */
export function withHeaders(frame: BoltFrame, requestId: number, set: ReadonlyMap<string, string>): Buffer {
  const merged = new Map(frame.headers);
  for (const [k, v] of set) merged.set(k, v);
  const header = encodeHeaderMap(merged);
  if (header.length > 0xffff) throw new RpcProtocolError('bolt: rewritten header map exceeds 65535 bytes');
  const b = frame.bytes;
  const tail = frame.crc ? CRC_LEN : 0;
  const out = Buffer.allocUnsafe(frame.headerStart + header.length + (b.length - frame.contentStart));
  b.copy(out, 0, 0, frame.headerStart);
  header.copy(out, frame.headerStart);
  b.copy(out, frame.headerStart + header.length, frame.contentStart, b.length - tail);
  out.writeUInt32BE(requestId >>> 0, frame.layout.id);
  out.writeUInt16BE(header.length, frame.layout.headerLen);
  if (frame.crc) writeCrc(out);
  return out;
}
