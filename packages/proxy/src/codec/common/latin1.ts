/** Node's undocumented but stable Buffer fast paths behind `toString('latin1')` and `write(s, 'latin1')`. */
interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number): number;
}

/**
 * `buf.latin1Slice(s, e)`, skipping the encoding lookup and argument normalisation of `toString`. Latin-1 maps bytes
 * 1:1 to code units, so obs-text survives unchanged.
 */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

/** Writes `s` as latin1 at `buf[0]` (code units above 0xff keep their low byte); the caller makes room. */
export function latin1Write(buf: Buffer, s: string): number {
  return (buf as unknown as Latin1Buffer).latin1Write(s, 0);
}
