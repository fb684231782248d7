// Fixed-header arithmetic of SOFA Bolt v1 and Dubbo frames for the RPC bench's echo server and load generator: frame
// length, request id read/patch, kind and status. Only the headers are read: the bench never decodes a body.
//
//   Bolt v1 request:  proto(01) type cmdcode(2) ver2 id(4) codec timeout(4) classLen(2) headerLen(2) contentLen(4) = 22
//   Bolt v1 response: proto(01) type cmdcode(2) ver2 id(4) codec status(2)  classLen(2) headerLen(2) contentLen(4) = 20
//   Dubbo:            da bb flags status id(8) bodyLen(4) = 16; flags: 0x80 request, 0x40 two-way, 0x20 event

export const PROTOCOLS = ['bolt', 'dubbo'];

const BOLT_V1 = 0x01;
const BOLT_TYPE_RESPONSE = 0x00;
const BOLT_TYPE_REQUEST = 0x01;
const BOLT_TYPE_ONEWAY = 0x02;
const BOLT_CMD_HEARTBEAT = 0;
const BOLT_CMD_REQUEST = 1;
const BOLT_STATUS_SUCCESS = 0;
export const BOLT_REQUEST_HEADER = 22;
export const BOLT_RESPONSE_HEADER = 20;

const DUBBO_HEADER = 16;
const DUBBO_FLAG_REQUEST = 0x80;
const DUBBO_FLAG_TWO_WAY = 0x40;
const DUBBO_FLAG_EVENT = 0x20;
export const DUBBO_STATUS_OK = 20;

/** The largest frame the bench accepts; anything bigger means the stream is out of sync. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameError extends Error {}

/** Bytes needed to read a frame's length (its fixed header), by protocol and direction. */
export function headerBytes(protocol, isResponse) {
  if (protocol === 'dubbo') return DUBBO_HEADER;
  return isResponse ? BOLT_RESPONSE_HEADER : BOLT_REQUEST_HEADER;
}

/**
 * Total length of the frame at `off` (header + body), or -1 when fewer bytes than its header are there. Bolt needs
 * to know the direction (request and response headers differ); Dubbo carries it in its flags. Throws FrameError on a
 * bad magic / protocol byte or an absurd length.
 */
export function frameLength(buf, off, protocol, isResponse) {
  const avail = buf.length - off;
  if (protocol === 'dubbo') {
    if (avail < DUBBO_HEADER) return -1;
    if (buf[off] !== 0xda || buf[off + 1] !== 0xbb) throw new FrameError(`not a Dubbo frame (magic ${hex(buf, off, 2)})`);
    return checked(DUBBO_HEADER + buf.readUInt32BE(off + 12));
  }
  if (protocol !== 'bolt') throw new FrameError(`unknown protocol ${protocol}`);
  if (avail < 1) return -1;
  if (buf[off] !== BOLT_V1) throw new FrameError(`not a Bolt v1 frame (proto byte ${hex(buf, off, 1)})`);
  // A Bolt heartbeat or response can arrive on either side; the type byte tells which header follows.
  if (avail < 2) return -1;
  const head = buf[off + 1] === BOLT_TYPE_RESPONSE ? BOLT_RESPONSE_HEADER : BOLT_REQUEST_HEADER;
  if (isResponse !== undefined && (head === BOLT_RESPONSE_HEADER) !== isResponse) {
    throw new FrameError(`unexpected Bolt ${isResponse ? 'request' : 'response'} (type ${hex(buf, off + 1, 1)})`);
  }
  if (avail < head) return -1;
  const lens = off + head - 8;
  return checked(head + buf.readUInt16BE(lens) + buf.readUInt16BE(lens + 2) + buf.readUInt32BE(lens + 4));
}

function checked(n) {
  if (n > MAX_FRAME_BYTES) throw new FrameError(`frame of ${n} bytes exceeds ${MAX_FRAME_BYTES}`);
  return n;
}

const hex = (buf, off, n) => buf.subarray(off, off + n).toString('hex');

/** The request id of the frame at `off` (Bolt: 32-bit; Dubbo: the low 32 bits of its 64-bit id). */
export function readId(buf, off, protocol) {
  return protocol === 'dubbo' ? buf.readUInt32BE(off + 8) : buf.readUInt32BE(off + 5);
}

/** Writes `id` (an unsigned 32-bit integer) as the request id of the frame at `off` (Dubbo: high 32 bits zeroed). */
export function writeId(buf, off, protocol, id) {
  if (protocol === 'dubbo') {
    buf.writeUInt32BE(0, off + 4);
    buf.writeUInt32BE(id, off + 8);
  } else {
    buf.writeUInt32BE(id, off + 5);
  }
}

/**
 * What a frame is: 'request' (two-way call), 'oneway', 'heartbeat' (a request expecting a heartbeat answer),
 * 'response', or 'other' (Dubbo events without an answer, Bolt control frames).
 */
export function frameKind(buf, off, protocol) {
  if (protocol === 'dubbo') {
    const flags = buf[off + 2];
    if ((flags & DUBBO_FLAG_REQUEST) === 0) return 'response';
    if ((flags & DUBBO_FLAG_EVENT) !== 0) return (flags & DUBBO_FLAG_TWO_WAY) !== 0 ? 'heartbeat' : 'other';
    return (flags & DUBBO_FLAG_TWO_WAY) !== 0 ? 'request' : 'oneway';
  }
  const type = buf[off + 1];
  const cmd = buf.readUInt16BE(off + 2);
  if (type === BOLT_TYPE_RESPONSE) return 'response';
  if (type === BOLT_TYPE_ONEWAY) return 'oneway';
  if (type !== BOLT_TYPE_REQUEST) return 'other';
  if (cmd === BOLT_CMD_HEARTBEAT) return 'heartbeat';
  return cmd === BOLT_CMD_REQUEST ? 'request' : 'other';
}

/** The status of the response at `off`: Bolt ResponseStatus (0 = SUCCESS), Dubbo status byte (20 = OK). */
export function responseStatus(buf, off, protocol) {
  return protocol === 'dubbo' ? buf[off + 3] : buf.readUInt16BE(off + 10);
}

/** True when the response at `off` reports success (the body is not looked at). */
export function responseOk(buf, off, protocol) {
  return responseStatus(buf, off, protocol) === (protocol === 'dubbo' ? DUBBO_STATUS_OK : BOLT_STATUS_SUCCESS);
}

/** The answer to a heartbeat request (id still to be patched): Bolt heartbeat ack, Dubbo event response "N". */
export function heartbeatResponse(protocol) {
  if (protocol === 'dubbo') {
    const b = Buffer.alloc(DUBBO_HEADER + 1);
    b[0] = 0xda;
    b[1] = 0xbb;
    b[2] = DUBBO_FLAG_EVENT | 0x02; // event, hessian2
    b[3] = DUBBO_STATUS_OK;
    b.writeUInt32BE(1, 12);
    b[16] = 0x4e; // hessian null
    return b;
  }
  const b = Buffer.alloc(BOLT_RESPONSE_HEADER);
  b[0] = BOLT_V1;
  b[1] = BOLT_TYPE_RESPONSE;
  b.writeUInt16BE(BOLT_CMD_HEARTBEAT, 2);
  b[9] = 1; // hessian2
  return b;
}

/**
 * Cuts the complete frames at the start of `buf`: calls `onFrame(buf, off, len)` for each and returns the offset of
 * the first incomplete byte (buf.length when all was consumed). Throws FrameError on a broken stream.
 */
export function forEachFrame(buf, protocol, isResponse, onFrame) {
  let off = 0;
  for (;;) {
    const len = frameLength(buf, off, protocol, isResponse);
    if (len < 0 || off + len > buf.length) return off;
    onFrame(buf, off, len);
    off += len;
  }
}
