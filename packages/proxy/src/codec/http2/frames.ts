import type { WriteBuffer } from './write-buffer.js';

/** Frame types (RFC 9113 §6). */
export const DATA = 0;
export const HEADERS = 1;
export const PRIORITY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PUSH_PROMISE = 5;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const CONTINUATION = 9;

export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

/** Error codes (RFC 9113 §7). */
export const NO_ERROR = 0x0;
export const PROTOCOL_ERROR = 0x1;
export const INTERNAL_ERROR = 0x2;
export const FLOW_CONTROL_ERROR = 0x3;
export const STREAM_CLOSED = 0x5;
export const FRAME_SIZE_ERROR = 0x6;
export const REFUSED_STREAM = 0x7;
export const CANCEL = 0x8;
export const COMPRESSION_ERROR = 0x9;
export const ENHANCE_YOUR_CALM = 0xb;

/** SETTINGS identifiers (RFC 9113 §6.5.2, RFC 8441). */
export const SETTINGS_HEADER_TABLE_SIZE = 1;
export const SETTINGS_ENABLE_PUSH = 2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 4;
export const SETTINGS_MAX_FRAME_SIZE = 5;
export const SETTINGS_MAX_HEADER_LIST_SIZE = 6;
export const SETTINGS_ENABLE_CONNECT_PROTOCOL = 8;

export const FRAME_HEADER_SIZE = 9;
export const DEFAULT_MAX_FRAME_SIZE = 16384;
export const MAX_FRAME_SIZE_LIMIT = 16777215;
export const DEFAULT_WINDOW = 65535;
export const MAX_WINDOW = 2147483647;

/** DATA payloads up to this size are copied next to their frame header; larger ones are written by reference. */
const COPY_LIMIT = 4096;

export function writeFrameHeader(w: WriteBuffer, length: number, type: number, flags: number, streamId: number): void {
  w.frames++;
  // Envoy's flood-monitored control frames: PING and SETTINGS acks, RST_STREAM (not GOAWAY).
  if (type === RST_STREAM || ((type === PING || type === SETTINGS) && (flags & FLAG_ACK) !== 0)) w.controlFrames++;
  else if (type === DATA) w.dataFrames++;
  w.ensure(FRAME_HEADER_SIZE);
  w.u24(length);
  w.u8(type);
  w.u8(flags);
  w.u32(streamId);
}

/** `pairs`: [id, value, id, value, ...]. */
export function writeSettings(w: WriteBuffer, pairs: readonly number[]): void {
  writeFrameHeader(w, pairs.length * 3, SETTINGS, 0, 0);
  w.ensure(pairs.length * 3);
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    w.u16(pairs[i] as number);
    w.u32(pairs[i + 1] as number);
  }
}

export function writeSettingsAck(w: WriteBuffer): void {
  writeFrameHeader(w, 0, SETTINGS, FLAG_ACK, 0);
}

export function writePing(w: WriteBuffer, ack: boolean, payload: Buffer, at: number): void {
  writeFrameHeader(w, 8, PING, ack ? FLAG_ACK : 0, 0);
  w.bytes(payload, at, at + 8);
}

export function writeGoaway(w: WriteBuffer, lastStreamId: number, code: number): void {
  writeFrameHeader(w, 8, GOAWAY, 0, 0);
  w.ensure(8);
  w.u32(lastStreamId);
  w.u32(code);
}

export function writeRstStream(w: WriteBuffer, streamId: number, code: number): void {
  writeFrameHeader(w, 4, RST_STREAM, 0, streamId);
  w.ensure(4);
  w.u32(code);
}

export function writeWindowUpdate(w: WriteBuffer, streamId: number, increment: number): void {
  writeFrameHeader(w, 4, WINDOW_UPDATE, 0, streamId);
  w.ensure(4);
  w.u32(increment);
}

/** One DATA frame carrying `data[from, to)` (the caller keeps it within the frame size and windows). */
export function writeData(w: WriteBuffer, streamId: number, data: Buffer, from: number, to: number, endStream: boolean): void {
  writeFrameHeader(w, to - from, DATA, endStream ? FLAG_END_STREAM : 0, streamId);
  if (to - from <= COPY_LIMIT) w.bytes(data, from, to);
  else w.reference(from === 0 && to === data.length ? data : data.subarray(from, to));
}

/** A header block as HEADERS (+ CONTINUATION frames when larger than `maxFrame`). */
export function writeHeaderBlock(w: WriteBuffer, streamId: number, block: Buffer, maxFrame: number, endStream: boolean): void {
  let from = 0;
  let type = HEADERS;
  do {
    const to = Math.min(block.length, from + maxFrame);
    let flags = to === block.length ? FLAG_END_HEADERS : 0;
    if (type === HEADERS && endStream) flags |= FLAG_END_STREAM;
    writeFrameHeader(w, to - from, type, flags, streamId);
    w.bytes(block, from, to);
    from = to;
    type = CONTINUATION;
  } while (from < block.length);
}
