import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { HEADER_BYTES, READONLY_EVENT } from './constants.js';
import type { DubboFrame } from './frame.js';
import type { HessianScanner } from './hessian-scan.js';
import { BytesCache } from '../common/bytes-cache.js';

/** What the leading strings of a request body say: the part every call to one method repeats byte for byte. */
interface RequestHead {
  readonly path: string;
  readonly version: string;
  readonly method: string;
  readonly argsCount: number;
  /** Bytes from the body start to the first argument. */
  readonly length: number;
}

/** What an attachments map says. */
interface AttachmentsMeta {
  readonly headers: ReadonlyMap<string, string>;
  readonly path: string;
  readonly version: string;
  readonly group: string;
  readonly application: string;
  readonly timeoutMs: number;
}

const NULL_ATTACHMENTS: AttachmentsMeta = { headers: new Map(), path: '', version: '', group: '', application: '', timeoutMs: 0 };

/**
 * Per-connection caches of request heads and attachments maps, keyed by their bytes: a client repeats both on every
 * call, so in the steady state a request costs two memcmp and the skip over its arguments, not a string per field.
 */
export class DubboMetaCache {
  readonly heads = new BytesCache<RequestHead>();
  readonly attachments = new BytesCache<AttachmentsMeta>();
  private wordsBuffer: ArrayBufferLike | undefined = undefined;
  private words: Int32Array | undefined = undefined;

  /** A frame's whole ArrayBuffer as 32-bit words: made once per read buffer, shared by that read's frames. */
  wordsOf(backing: ArrayBufferLike): Int32Array {
    if (backing !== this.wordsBuffer || this.words === undefined) {
      this.words = new Int32Array(backing, 0, backing.byteLength >> 2);
      this.wordsBuffer = backing;
    }
    return this.words;
  }
}

/**
 * Reads a Hessian 2 request body (DubboCodec.encodeRequestData order): dubbo version, service path, service
 * version, method, [dubbox -1], parameter type descriptor, arguments, attachments map. Arguments are skipped, not
 * decoded. Throws RpcProtocolError when the body does not follow that shape.
 */
export function readRequestBody(frame: DubboFrame, scan: HessianScanner, cache: DubboMetaCache): void {
  // Offsets here are into the read buffer the frame lies in (`at` is the frame's start); the frame keeps its own.
  const buf = frame.chunk;
  const at = frame.at;
  const end = at + frame.size;
  const backing = frame.backing;
  const words = backing === undefined ? undefined : cache.wordsOf(backing);
  // The read buffer's offset in `backing`: where the word view finds `buf[0]`.
  const base = frame.backingOffset - at;
  const bodyStart = at + HEADER_BYTES;
  let head = words === undefined ? cache.heads.prefix(buf, bodyStart, end) : cache.heads.prefixIn(buf, bodyStart, end - bodyStart, words, base + bodyStart);
  if (head === undefined) head = readHead(buf, bodyStart, end, scan, cache);
  scan.reset(buf, bodyStart + head.length, end);
  const count = head.argsCount;
  frame.method = head.method;
  frame.argsStart = scan.pos - at;
  frame.argsCount = count;
  for (let i = 0; i < count; i++) scan.skip();
  frame.service = head.path;
  frame.version = head.version;
  if (scan.atEnd()) return;
  const start = scan.pos;
  frame.attachmentsStart = start - at;
  // Arguments with class definitions could change what the same attachment bytes mean: not cached then.
  const cacheable = !scan.hasClassDefs();
  let att: AttachmentsMeta | undefined;
  if (cacheable) att = words === undefined ? cache.attachments.prefix(buf, start, end) : cache.attachments.prefixIn(buf, start, end - start, words, base + start);
  att ??= readAttachments(buf, scan, cacheable ? cache : undefined);
  frame.headers = att.headers;
  if (frame.service === '') frame.service = att.path;
  if (frame.version === '') frame.version = att.version;
  frame.group = att.group;
  frame.application = att.application;
  frame.requestTimeoutMs = att.timeoutMs;
}

function readHead(buf: Buffer, start: number, end: number, scan: HessianScanner, cache: DubboMetaCache): RequestHead {
  scan.reset(buf, start, end);
  scan.skip(); // dubbo protocol version
  const path = scan.readString();
  const version = scan.readString();
  const method = scan.readString();
  // dubbox (and dubbo2.js with isSupportedDubbox) writes an int before the descriptor.
  if (scan.isIntStart(scan.peek())) scan.readInt();
  const argsCount = countParameterTypes(scan.readString());
  return cache.heads.set(buf, start, scan.pos, { path, version, method, argsCount, length: scan.pos - start });
}

/** Reads the attachments map at the scanner's position and the routing fields taken from it. */
function readAttachments(bytes: Buffer, scan: HessianScanner, cache: DubboMetaCache | undefined): AttachmentsMeta {
  const start = scan.pos;
  const code = scan.peek();
  if (code === 0x4e) {
    scan.skip();
    return NULL_ATTACHMENTS;
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
  const timeout = headers.get('timeout');
  const ms = timeout === undefined ? 0 : Number(timeout);
  const meta: AttachmentsMeta = {
    headers,
    path: headers.get('path') ?? headers.get('interface') ?? '',
    version: headers.get('version') ?? '',
    group: headers.get('group') ?? '',
    application: headers.get('application') ?? headers.get('remote.application') ?? '',
    timeoutMs: Number.isSafeInteger(ms) && ms > 0 ? ms : 0,
  };
  return cache === undefined ? meta : cache.attachments.set(bytes, start, scan.pos, meta);
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
