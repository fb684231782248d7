import type { RpcFrame, RpcLocalStatus, RpcRewrite } from '../../interfaces/rpc-codec.js';
import { FLAG_EVENT, FLAG_REQUEST, FLAG_TWO_WAY, HEADER_BYTES, HESSIAN2, OFFSET_BODY_LENGTH, READONLY_EVENT, STATUS } from './constants.js';
import { DubboFrame } from './frame.js';
import { writeHeader, writeRequestId } from './header.js';
import type { HessianScanner } from './hessian-scan.js';
import { HESSIAN_END, HESSIAN_NULL, HESSIAN_UNTYPED_MAP, hessianString } from './hessian-write.js';
import { openMap } from './request-body.js';

/**
 * The Dubbo status each local failure is answered with. Envoy's dubbo_proxy answers a missing route with
 * SERVICE_NOT_FOUND and other local failures with SERVER_ERROR; timeouts and overload use the statuses a Dubbo
 * server itself sends for them, so clients see the familiar error.
 */
export const LOCAL_REPLY_STATUS: Readonly<Record<RpcLocalStatus, number>> = {
  no_route: STATUS.SERVICE_NOT_FOUND,
  no_healthy_upstream: STATUS.SERVER_ERROR,
  upstream_unavailable: STATUS.SERVER_ERROR,
  timeout: STATUS.SERVER_TIMEOUT,
  overflow: STATUS.SERVER_THREADPOOL_EXHAUSTED_ERROR,
  rate_limited: STATUS.SERVER_THREADPOOL_EXHAUSTED_ERROR,
  fault_abort: STATUS.SERVICE_ERROR,
  bad_request: STATUS.BAD_REQUEST,
};

/** A copy of the frame with another request id (copied so a retry or mirror never changes bytes being written). */
export function withRequestId(bytes: Buffer, id: number): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  bytes.copy(out);
  writeRequestId(out, id);
  return out;
}

/** `bytes` themselves with another request id, for a frame forwarded exactly once. */
export function patchRequestId(bytes: Buffer, id: number): Buffer {
  writeRequestId(bytes, id);
  return bytes;
}

export function rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite, scan: HessianScanner): Buffer {
  const set = rewrite.setHeaders;
  if (set === undefined || set.size === 0 || !(frame instanceof DubboFrame) || frame.event || frame.badRequest !== undefined) {
    return rewrite.inPlace === true ? patchRequestId(frame.bytes, rewrite.requestId) : withRequestId(frame.bytes, rewrite.requestId);
  }
  const out = rewriteAttachments(frame, set, scan);
  writeRequestId(out, rewrite.requestId);
  return out;
}

/**
 * The request with its attachments map re-encoded: entries not being set are copied byte for byte (keeping their
 * Hessian types), the new ones appended as strings; the body length is updated.
 */
function rewriteAttachments(frame: DubboFrame, set: ReadonlyMap<string, string>, scan: HessianScanner): Buffer {
  const bytes = frame.bytes;
  const start = frame.attachmentsStart;
  const parts: Buffer[] = [];
  let rest: Buffer;
  if (start < 0 || bytes[start] === HESSIAN_NULL) {
    parts.push(bytes.subarray(0, start < 0 ? bytes.length : start), Buffer.of(HESSIAN_UNTYPED_MAP));
    rest = start < 0 ? Buffer.alloc(0) : bytes.subarray(start + 1);
  } else {
    scan.reset(bytes, start, bytes.length);
    openMap(scan);
    parts.push(bytes.subarray(0, scan.pos));
    while (scan.peek() !== HESSIAN_END) {
      const entryStart = scan.pos;
      const key = scan.isStringStart(scan.peek()) ? scan.readString() : undefined;
      if (key === undefined) scan.skip();
      scan.skip();
      if (key === undefined || !set.has(key)) parts.push(bytes.subarray(entryStart, scan.pos));
    }
    rest = bytes.subarray(scan.pos + 1);
  }
  for (const [key, value] of set) parts.push(hessianString(key), hessianString(value));
  parts.push(Buffer.of(HESSIAN_END), rest);
  const out = Buffer.concat(parts);
  out.writeUInt32BE(out.length - HEADER_BYTES, OFFSET_BODY_LENGTH);
  return out;
}

/** The error response a Dubbo server sends: the status byte and the message as a Hessian string body. */
export function encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined {
  if (request.kind !== 'request' || request.oneway) return undefined;
  const body = hessianString(message);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  writeHeader(out, HESSIAN2, LOCAL_REPLY_STATUS[status], request.requestId, body.length);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** The answer to a heartbeat: an OK event response with a null body. */
export function encodeHeartbeatReply(heartbeat: RpcFrame): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + 1);
  writeHeader(out, FLAG_EVENT | HESSIAN2, STATUS.OK, heartbeat.requestId, 1);
  out[HEADER_BYTES] = HESSIAN_NULL;
  return out;
}

/** A two-way heartbeat event request with a null body. */
export function encodeHeartbeat(requestId: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + 1);
  writeHeader(out, FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | HESSIAN2, 0, requestId, 1);
  out[HEADER_BYTES] = HESSIAN_NULL;
  return out;
}

const READONLY_BODY = hessianString(READONLY_EVENT);

/** The one-way read-only event (data "R") a Dubbo server sends before shutting down. */
export function encodeGoAway(): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + READONLY_BODY.length);
  writeHeader(out, FLAG_REQUEST | FLAG_EVENT | HESSIAN2, 0, 0, READONLY_BODY.length);
  READONLY_BODY.copy(out, HEADER_BYTES);
  return out;
}
