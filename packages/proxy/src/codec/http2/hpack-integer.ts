import type { WriteBuffer } from './write-buffer.js';

/** Largest integer we accept in a header block: beyond it the peer is attacking or broken (COMPRESSION_ERROR). */
const MAX_INT = 0x7fffffff;

/** Cursor for decoding: the position moves as fields are read; -1 after an error. */
export interface Cursor {
  pos: number;
}

/**
 * Reads an HPACK integer (RFC 7541 §5.1) with an N-bit prefix from `src` at `c.pos` (the prefix byte's other bits
 * are the caller's). Returns -1 when truncated or too large.
 */
export function readInt(src: Buffer, end: number, c: Cursor, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (c.pos >= end) return -1;
  let v = (src[c.pos++] as number) & max;
  if (v < max) return v;
  let shift = 0;
  for (;;) {
    if (c.pos >= end || shift > 28) return -1;
    const b = src[c.pos++] as number;
    v += (b & 0x7f) * 2 ** shift;
    if (v > MAX_INT) return -1;
    if ((b & 0x80) === 0) return v;
    shift += 7;
  }
}

/** Writes integer `v` with an N-bit prefix; `first` holds the prefix byte's high bits (the representation type). */
export function writeInt(out: WriteBuffer, v: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1;
  out.ensure(6);
  if (v < max) {
    out.u8(first | v);
    return;
  }
  out.u8(first | max);
  v -= max;
  while (v >= 128) {
    out.u8((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.u8(v);
}
