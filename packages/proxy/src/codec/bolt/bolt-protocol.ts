/**
 * Bolt wire constants and the fixed-header layout of v1 (proto 0x01) and v2 (proto 0x02), per sofa-bolt:
 *
 *   v1 request:  proto type cmdcode(2) ver2 id(4) codec timeout(4) classLen(2) headerLen(2) contentLen(4)   = 22
 *   v1 response: proto type cmdcode(2) ver2 id(4) codec status(2)  classLen(2) headerLen(2) contentLen(4)   = 20
 *   v2 adds ver1 after proto and a switch byte after codec (+2), and when switch bit 0 (CRC) is on, a CRC32 of
 *   all preceding frame bytes follows the content.
 * Then class name, header map, content. All integers big-endian.
 */

export const PROTO_V1 = 0x01;
export const PROTO_V2 = 0x02;

export const TYPE_RESPONSE = 0x00;
export const TYPE_REQUEST = 0x01;
export const TYPE_ONEWAY = 0x02;

export const CMD_HEARTBEAT = 0;
export const CMD_REQUEST = 1;
export const CMD_RESPONSE = 2;
/** MOSN's control code for GoAway (control codes count up from 100); not part of Java sofa-bolt. */
export const CMD_GOAWAY = 100;

export const CODEC_HESSIAN2 = 1;
export const CODEC_PROTOBUF = 11;

/** Bolt ResponseStatus (com.alipay.remoting.ResponseStatus). */
export const STATUS = {
  SUCCESS: 0x00,
  ERROR: 0x01,
  SERVER_EXCEPTION: 0x02,
  UNKNOWN: 0x03,
  SERVER_THREADPOOL_BUSY: 0x04,
  ERROR_COMM: 0x05,
  NO_PROCESSOR: 0x06,
  TIMEOUT: 0x07,
  CLIENT_SEND_ERROR: 0x08,
  CODEC_EXCEPTION: 0x09,
  CONNECTION_CLOSED: 0x10,
  SERVER_SERIAL_EXCEPTION: 0x11,
  SERVER_DESERIAL_EXCEPTION: 0x12,
} as const;

export const SWITCH_CRC = 0x01;
export const CRC_LEN = 4;

/** Offsets of one frame's fixed header, by protocol version and direction. */
export interface Layout {
  readonly v2: boolean;
  readonly type: number;
  readonly cmd: number;
  readonly id: number;
  readonly codec: number;
  /** Timeout (requests) or status (responses). */
  readonly timeoutOrStatus: number;
  readonly classLen: number;
  readonly headerLen: number;
  readonly contentLen: number;
  /** Length of the fixed header. */
  readonly size: number;
}

function layout(v2: boolean, response: boolean): Layout {
  const s = v2 ? 1 : 0; // ver1
  const w = v2 ? 1 : 0; // switch
  const after = 10 + s + w + (response ? 2 : 4);
  return {
    v2,
    type: 1 + s,
    cmd: 2 + s,
    id: 5 + s,
    codec: 9 + s,
    timeoutOrStatus: 10 + s + w,
    classLen: after,
    headerLen: after + 2,
    contentLen: after + 4,
    size: after + 8,
  };
}

export const V1_REQUEST = layout(false, false);
export const V1_RESPONSE = layout(false, true);
export const V2_REQUEST = layout(true, false);
export const V2_RESPONSE = layout(true, true);

/** Bytes needed before the layout of a frame is known: proto (+ ver1) + type. */
export function typeOffset(proto: number): number {
  return proto === PROTO_V2 ? 2 : 1;
}
