const SLAB = 64 * 1024;

/**
 * Bytes being assembled for the socket: small writes go into a slab (taken as one subarray per flush, never written
 * over afterwards), large payloads are queued by reference between them. One flush = one socket write (writev).
 */
export class WriteBuffer {
  buf = Buffer.allocUnsafe(SLAB);
  pos = 0;
  private start = 0;
  private chunks: Buffer[] = [];
  private queued = 0;
  /** Frames written since the session last collected them (flood accounting), and of those PING/SETTINGS acks + RST_STREAM. */
  frames = 0;
  controlFrames = 0;
  /** DATA frames ever written (never reset). */
  dataFrames = 0;

  /** Makes room for `n` more bytes at `pos`. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(SLAB, (pending + n) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    const b = this.buf;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v & 0xff;
  }

  u24(v: number): void {
    const b = this.buf;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(src: Buffer, from = 0, to = src.length): void {
    this.ensure(to - from);
    src.copy(this.buf, this.pos, from, to);
    this.pos += to - from;
  }

  /** Queues `b` by reference after what is in the slab so far. */
  reference(b: Buffer): void {
    this.cut();
    this.chunks.push(b);
    this.queued += b.length;
  }

  get length(): number {
    return this.queued + this.pos - this.start;
  }

  /** Everything assembled since the last take, as one buffer or a list (for cork/writev); null when empty. */
  take(): Buffer | Buffer[] | null {
    this.cut();
    const chunks = this.chunks;
    if (chunks.length === 0) return null;
    this.queued = 0;
    if (chunks.length === 1) {
      const only = chunks[0] as Buffer;
      chunks.pop();
      return only;
    }
    this.chunks = [];
    return chunks;
  }

  /**
   * Hands back the slab space of `chunk`, the last buffer take() returned, once its bytes are in the kernel (a write
   * that completed at once), so the next flush writes from the same memory instead of walking through the slab.
   */
  reuse(chunk: Buffer): void {
    // Identity and offsets remembered by cut() (a typed array's .buffer and .byteOffset are native getters). In a new
    // slab `start` is 0 while the last cut ended past 0, so a chunk of an older slab never matches.
    if (chunk !== this.lastCut || this.pos !== this.start || this.start !== this.lastCutEnd) return;
    this.start = this.lastCutStart;
    this.pos = this.start;
    this.lastCut = undefined;
  }

  /** The newest slab chunk cut, and where it lies in the current slab. */
  private lastCut: Buffer | undefined = undefined;
  private lastCutStart = 0;
  private lastCutEnd = 0;

  private cut(): void {
    if (this.pos === this.start) return;
    const b = this.buf.subarray(this.start, this.pos);
    this.lastCut = b;
    this.lastCutStart = this.start;
    this.lastCutEnd = this.pos;
    this.chunks.push(b);
    this.queued += b.length;
    this.start = this.pos;
    if (this.buf.length - this.pos < 1024) {
      this.buf = Buffer.allocUnsafe(SLAB);
      this.pos = this.start = 0;
    }
  }
}
