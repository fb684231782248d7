/** Dubbo wire constants (org.apache.dubbo.remoting.exchange.codec.ExchangeCodec, Response, DubboCodec). */

export const HEADER_BYTES = 16;
export const MAGIC_HIGH = 0xda;
export const MAGIC_LOW = 0xbb;

// Byte 2: request / two-way / event flags over a 5-bit serialization id.
export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const SERIALIZATION_MASK = 0x1f;
export const HESSIAN2 = 2;

export const OFFSET_FLAGS = 2;
export const OFFSET_STATUS = 3;
export const OFFSET_ID = 4;
export const OFFSET_BODY_LENGTH = 12;

/** The response status byte (org.apache.dubbo.remoting.exchange.Response). */
export const STATUS = {
  OK: 20,
  CLIENT_TIMEOUT: 30,
  SERVER_TIMEOUT: 31,
  CHANNEL_INACTIVE: 35,
  BAD_REQUEST: 40,
  BAD_RESPONSE: 50,
  SERVICE_NOT_FOUND: 60,
  SERVICE_ERROR: 70,
  SERVER_ERROR: 80,
  CLIENT_ERROR: 90,
  SERVER_THREADPOOL_EXHAUSTED_ERROR: 100,
} as const;

/** The first value of an OK response body (org.apache.dubbo.rpc.protocol.dubbo.DubboCodec). */
export const RESPONSE_TYPE = {
  WITH_EXCEPTION: 0,
  VALUE: 1,
  NULL_VALUE: 2,
  WITH_EXCEPTION_WITH_ATTACHMENTS: 3,
  VALUE_WITH_ATTACHMENTS: 4,
  NULL_VALUE_WITH_ATTACHMENTS: 5,
} as const;

/** The data of the event request a Dubbo server sends before shutdown (Request.READONLY_EVENT). */
export const READONLY_EVENT = 'R';

/** Request ids are 64-bit on the wire; the contract carries them as numbers, so ids must stay below 2^53. */
export const MAX_SAFE_ID_HIGH = 0x1fffff;
