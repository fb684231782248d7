/** Thrift wire constants (Apache Thrift binary and compact protocol specs, TApplicationException ids). */

export const enum MessageType {
  CALL = 1,
  REPLY = 2,
  EXCEPTION = 3,
  ONEWAY = 4,
}

/** Field / element types of the binary protocol (and the protocol-neutral ids the walkers use). */
export const enum TType {
  STOP = 0,
  VOID = 1,
  BOOL = 2,
  BYTE = 3,
  DOUBLE = 4,
  I16 = 6,
  I32 = 8,
  I64 = 10,
  STRING = 11,
  STRUCT = 12,
  MAP = 13,
  SET = 14,
  LIST = 15,
  UUID = 16,
}

/** Element types of the compact protocol. */
export const enum CType {
  STOP = 0,
  BOOL_TRUE = 1,
  BOOL_FALSE = 2,
  BYTE = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  DOUBLE = 7,
  BINARY = 8,
  LIST = 9,
  SET = 10,
  MAP = 11,
  STRUCT = 12,
  UUID = 13,
}

/** TApplicationException.type values (Apache Thrift; the node client knows 0..10). */
export const enum AppExceptionType {
  UNKNOWN = 0,
  UNKNOWN_METHOD = 1,
  INVALID_MESSAGE_TYPE = 2,
  WRONG_METHOD_NAME = 3,
  BAD_SEQUENCE_ID = 4,
  MISSING_RESULT = 5,
  INTERNAL_ERROR = 6,
  PROTOCOL_ERROR = 7,
}

export const BINARY_VERSION_1 = 0x8001;
export const COMPACT_PROTOCOL_ID = 0x82;
export const COMPACT_VERSION = 1;
/** THeader transport magic in bytes 4..5 of a frame. */
export const THEADER_MAGIC = 0x0fff;

/** How deep structs / containers may nest before the stream is treated as garbage. */
export const MAX_DEPTH = 64;

export type Transport = 'framed' | 'unframed' | 'header';
export type Protocol = 'binary' | 'compact' | 'binary-lax';
