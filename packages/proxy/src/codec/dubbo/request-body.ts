import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { HEADER_BYTES, READONLY_EVENT } from './constants.js';
import type { DubboFrame } from './frame.js';
import type { HessianScanner } from './hessian-scan.js';

/**
 * Reads a Hessian 2 request body (DubboCodec.encodeRequestData order): dubbo version, service path, service
 * version, method, [dubbox -1], parameter type descriptor, arguments, attachments map. Arguments are skipped, not
 * decoded. Throws RpcProtocolError when the body does not follow that shape.
 */
export function readRequestBody(frame: DubboFrame, scan: HessianScanner): void {
  const bytes = frame.bytes;
  scan.reset(bytes, HEADER_BYTES, bytes.length);
  scan.skip(); // dubbo protocol version
  const path = scan.readString();
  const version = scan.readString();
  frame.method = scan.readString();
  // dubbox (and dubbo2.js with isSupportedDubbox) writes an int before the descriptor.
  if (scan.isIntStart(scan.peek())) scan.readInt();
  const count = countParameterTypes(scan.readString());
  frame.argsStart = scan.pos;
  frame.argsCount = count;
  for (let i = 0; i < count; i++) scan.skip();
  frame.service = path;
  frame.version = version;
  if (scan.atEnd()) return;
  frame.attachmentsStart = scan.pos;
  readAttachments(frame, scan);
}

/** Reads the attachments map into `frame.headers` and the routing fields taken from it. */
function readAttachments(frame: DubboFrame, scan: HessianScanner): void {
  const code = scan.peek();
  if (code === 0x4e) {
    scan.skip();
    return;
  }
  openMap(scan);
  const headers = new Map<string, string>();
  while (scan.peek() !== 0x5a) {
    const key = scan.isStringStart(scan.peek()) ? scan.readString() : undefined;
    if (key === undefined) {
      scan.skip();
      scan.skip();
      continue;
    }
    const value = scan.readScalarString();
    if (value !== undefined) headers.set(key, value);
  }
  scan.pos++;
  frame.headers = headers;
  if (frame.service === '') frame.service = headers.get('path') ?? headers.get('interface') ?? '';
  if (frame.version === '') frame.version = headers.get('version') ?? '';
  frame.group = headers.get('group') ?? '';
  frame.application = headers.get('application') ?? headers.get('remote.application') ?? '';
  const timeout = headers.get('timeout');
  if (timeout !== undefined) {
    const ms = Number(timeout);
    frame.requestTimeoutMs = Number.isSafeInteger(ms) && ms > 0 ? ms : 0;
  }
}

/** Moves past an untyped (`H`) or typed (`M` type) map start. */
export function openMap(scan: HessianScanner): void {
  const code = scan.peek();
  if (code === 0x48) {
    scan.pos++;
    return;
  }
  if (code !== 0x4d) throw new RpcProtocolError(`dubbo: attachments are not a map (byte 0x${code.toString(16)})`);
  scan.pos++;
  if (scan.isStringStart(scan.peek())) scan.readString();
  else scan.readInt();
}

/** The number of parameters in a JVM method descriptor list such as `Ljava/lang/String;I[J`. */
export function countParameterTypes(desc: string): number {
  let count = 0;
  let i = 0;
  const n = desc.length;
  while (i < n) {
    let c = desc.charCodeAt(i);
    while (c === 0x5b /* [ */) c = desc.charCodeAt(++i);
    if (c === 0x4c /* L */) {
      const semi = desc.indexOf(';', i);
      if (semi < 0) throw new RpcProtocolError(`dubbo: bad parameter type descriptor ${JSON.stringify(desc)}`);
      i = semi + 1;
    } else if (isPrimitive(c)) i++;
    else throw new RpcProtocolError(`dubbo: bad parameter type descriptor ${JSON.stringify(desc)}`);
    count++;
  }
  return count;
}

function isPrimitive(c: number): boolean {
  // Z B C D F I J S V
  return c === 0x5a || c === 0x42 || c === 0x43 || c === 0x44 || c === 0x46 || c === 0x49 || c === 0x4a || c === 0x53 || c === 0x56;
}

/** Classifies an event request's data: null is a heartbeat, "R" the read-only (go away) event. */
export function readEventData(frame: DubboFrame, scan: HessianScanner): 'heartbeat' | 'readonly' | 'other' {
  const bytes = frame.bytes;
  if (bytes.length === HEADER_BYTES) return 'heartbeat';
  scan.reset(bytes, HEADER_BYTES, bytes.length);
  const code = scan.peek();
  if (code === 0x4e) return 'heartbeat';
  if (scan.isStringStart(code) && scan.readString() === READONLY_EVENT) return 'readonly';
  return 'other';
}
