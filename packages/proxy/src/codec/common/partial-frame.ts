/**
 * The unparsed tail of a byte stream kept across socket reads, for codecs whose frames may span reads. The tail is
 * an owned copy (the socket may reuse its read buffer), and nothing is joined until `need` bytes are there, so a
 * large frame arriving in many small reads is copied once, not once per read.
 */
const EMPTY = Buffer.alloc(0);

export class PartialFrame {
  private parts: Buffer[] = [];
  private length = 0;
  private need = 0;

  /**
   * The bytes to parse after a read: the chunk itself when nothing is kept, the kept bytes joined with it once
   * enough have arrived, or undefined while still waiting (the chunk is kept).
   */
  take(chunk: Buffer): Buffer | undefined {
    if (this.length === 0) return chunk;
    this.parts.push(Buffer.from(chunk));
    this.length += chunk.length;
    if (this.length < this.need) return undefined;
    const joined = Buffer.concat(this.parts, this.length);
    this.reset();
    return joined;
  }

  /** Keeps `buf` from `offset` on and waits until `need` bytes of it (counted from `offset`) are there. */
  keep(buf: Buffer, offset: number, need: number): void {
    const rest = Buffer.from(buf.subarray(offset));
    this.parts = [rest];
    this.length = rest.length;
    this.need = need;
  }

  /** Hands over the kept bytes (hot upgrade) and forgets them. */
  takeAll(): Buffer {
    const kept = this.length === 0 ? EMPTY : Buffer.concat(this.parts, this.length);
    this.reset();
    return kept;
  }

  /** Everything was parsed: nothing is kept. */
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.need = 0;
  }
}
