import type net from 'node:net';
import { deferToScopeEnd, type Deferred } from '../server/io-scope.js';
import { clearArray } from '../server/clear-array.js';

/**
 * Gathers the writes that one read causes on a socket and sends them when the I/O scope ends, after every frame of
 * that read is handled. Frames forwarded zero-copy are views into the same read buffer: a write that continues the
 * previous one in memory extends it, so a whole read of pipelined frames going the same way leaves as one write
 * (like a tcp_proxy's one write per read). Separate pieces go out in one writev. Pipelined RPC traffic otherwise
 * pays one write per frame.
 */
export class WriteBatch implements Deferred {
  /** Pieces before the last one (rare: only when writes are not contiguous). */
  private readonly parts: Buffer[] = [];
  /** The piece being extended: its backing memory and range. */
  private ab: ArrayBufferLike | undefined = undefined;
  private from = 0;
  private to = 0;
  private pending = 0;
  /** The socket's writableNeedDrain when this scope's first write came (a getter: read once per scope). */
  private full = false;

  constructor(private readonly socket: net.Socket) {}

  /** Bytes held for the end of the scope. */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * Queues `bytes` (not copied: they must not change until the scope ends); `backing`, when given, is `bytes.buffer`. Returns false when the socket already
   * buffers more than its high-water mark (its 'drain' event follows), like socket.write.
   */
  write(bytes: Buffer, backing?: ArrayBufferLike): boolean {
    if (bytes.length === 0) return !this.socket.writableNeedDrain;
    return this.writeRange(backing ?? bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** write() for `length` bytes at `offset` in `ab`, without a Buffer of them (same rules). */
  writeRange(ab: ArrayBufferLike, offset: number, length: number): boolean {
    if (length === 0) return !this.socket.writableNeedDrain;
    if (this.ab === undefined) {
      deferToScopeEnd(this);
      this.full = this.socket.writableNeedDrain;
    } else if (offset === this.to && ab === this.ab) {
      this.to += length;
      this.pending += length;
      return !this.full;
    } else this.parts.push(Buffer.from(this.ab, this.from, this.to - this.from));
    this.ab = ab;
    this.from = offset;
    this.to = offset + length;
    this.pending += length;
    return !this.full;
  }

  /** Sends what is held, then ends the socket (socket.end() alone would overtake the held writes). */
  end(): void {
    this.runDeferred();
    this.socket.end();
  }

  runDeferred(): void {
    const ab = this.ab;
    if (ab === undefined) return;
    const last = Buffer.from(ab, this.from, this.to - this.from);
    this.ab = undefined;
    this.pending = 0;
    const s = this.socket;
    if (s.destroyed) {
      clearArray(this.parts);
      return;
    }
    const parts = this.parts;
    if (parts.length === 0) {
      s.write(last);
      return;
    }
    s.cork();
    for (let i = 0; i < parts.length; i++) s.write(parts[i] as Buffer);
    s.write(last);
    clearArray(parts);
    s.uncork();
  }
}
