/**
 * Big-endian integer reads and writes for the per-frame hot paths. Buffer's readUInt*BE / writeUInt*BE validate
 * their arguments on every call (a measurable share of the RPC proxy's CPU); callers here have already checked the
 * frame is long enough, so plain byte arithmetic is enough.
 */
export function u16(b: Buffer, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

export function u32(b: Buffer, at: number): number {
  return (b[at] as number) * 0x1000000 + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
}

export function putU32(b: Buffer, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
