import { RpcProtocolError, type RpcResponseStatus } from '../../interfaces/rpc-codec.js';
import { putU32, u32 } from '../common/be-bytes.js';
import { HEADER_BYTES, MAGIC_HIGH, MAGIC_LOW, MAX_SAFE_ID_HIGH, OFFSET_BODY_LENGTH, OFFSET_ID, STATUS } from './constants.js';

/** The whole frame length the header at `offset` announces; throws on a bad magic or an oversized frame. */
export function frameLength(buf: Buffer, offset: number, maxFrameBytes: number): number {
  if (buf[offset] !== MAGIC_HIGH || buf[offset + 1] !== MAGIC_LOW) {
    throw new RpcProtocolError(`dubbo: bad magic 0x${buf.readUInt16BE(offset).toString(16)}`);
  }
  const total = HEADER_BYTES + u32(buf, offset + OFFSET_BODY_LENGTH);
  if (total > maxFrameBytes) throw new RpcProtocolError(`dubbo: frame of ${total} bytes exceeds the limit of ${maxFrameBytes}`);
  return total;
}

/** The 64-bit request id; ids at or above 2^53 cannot be carried as numbers and are a protocol error. */
export function readRequestId(buf: Buffer, at = 0): number {
  const high = u32(buf, at + OFFSET_ID);
  if (high > MAX_SAFE_ID_HIGH) throw new RpcProtocolError('dubbo: request id at or above 2^53 is not supported');
  return high * 0x1_0000_0000 + u32(buf, at + OFFSET_ID + 4);
}

/** Writes the request id of the frame that starts at `at` in `buf`. */
export function writeRequestId(buf: Buffer, id: number, at = 0): void {
  // Ids below 2^32 (every id the proxy assigns, most clients' ids): the high word is zero.
  if (id >>> 0 === id) {
    putU32(buf, at + OFFSET_ID, 0);
    putU32(buf, at + OFFSET_ID + 4, id);
    return;
  }
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`dubbo: request id ${id} is not a safe non-negative integer`);
  putU32(buf, at + OFFSET_ID, Math.floor(id / 0x1_0000_0000));
  putU32(buf, at + OFFSET_ID + 4, id >>> 0);
}

/** Writes a 16-byte header at the start of `buf`. */
export function writeHeader(buf: Buffer, flags: number, status: number, id: number, bodyLength: number): void {
  buf[0] = MAGIC_HIGH;
  buf[1] = MAGIC_LOW;
  buf[2] = flags;
  buf[3] = status;
  writeRequestId(buf, id);
  buf.writeUInt32BE(bodyLength, OFFSET_BODY_LENGTH);
}

/** How a response status byte ends a call (OK with an exception body is still `ok`: a business outcome). */
export function responseStatus(code: number): RpcResponseStatus {
  switch (code) {
    case STATUS.OK:
      return 'ok';
    case STATUS.CLIENT_TIMEOUT:
    case STATUS.SERVER_TIMEOUT:
      return 'timeout';
    case STATUS.BAD_REQUEST:
    case STATUS.SERVICE_NOT_FOUND:
    case STATUS.CLIENT_ERROR:
      return 'client_error';
    case STATUS.CHANNEL_INACTIVE:
    case STATUS.BAD_RESPONSE:
    case STATUS.SERVICE_ERROR:
    case STATUS.SERVER_ERROR:
      return 'server_error';
    case STATUS.SERVER_THREADPOOL_EXHAUSTED_ERROR:
      return 'overflow';
    default:
      return 'unknown';
  }
}
