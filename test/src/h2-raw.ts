import net from 'node:net';
import * as F from '@weft/proxy/codec/http2/frames';
import { HpackEncoder } from '@weft/proxy/codec/http2/hpack-encoder';
import { WriteBuffer } from '@weft/proxy/codec/http2/write-buffer';
import { sleep } from './raw-conn.js';

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly id: number;
  readonly payload: Buffer;
}

/**
 * A raw HTTP/2 peer writing hand-made frames (floods, malformed sequences) and collecting what comes back.
 * `read: false` never reads from the socket (a peer that does not read: the kernel buffers fill up).
 */
export class RawH2 {
  readonly frames: RawFrame[] = [];
  closed = false;
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of the client preface still to skip (server side). */
  private preface = 0;
  private readonly enc = new HpackEncoder();

  private constructor(readonly sock: net.Socket) {
    sock.on('error', () => undefined);
    sock.on('close', () => (this.closed = true));
    sock.on('data', (d: Buffer) => this.onData(d));
  }

  /** Connects as a client (preface + empty SETTINGS + SETTINGS ack); or wraps an accepted socket (`server`). */
  static async connect(port: number, opts: { read?: boolean; bigWindows?: boolean } = {}): Promise<RawH2> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    if (opts.read === false) sock.pause();
    const c = new RawH2(sock);
    c.send((w) => {
      w.bytes(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
      // bigWindows: the proxy may send everything it has without waiting for WINDOW_UPDATEs.
      F.writeSettings(w, opts.bigWindows === true ? [F.SETTINGS_INITIAL_WINDOW_SIZE, F.MAX_WINDOW] : []);
      if (opts.bigWindows === true) F.writeWindowUpdate(w, 0, F.MAX_WINDOW - F.DEFAULT_WINDOW);
      F.writeSettingsAck(w);
    });
    return c;
  }

  static server(sock: net.Socket): RawH2 {
    const c = new RawH2(sock);
    c.preface = 24;
    c.send((w) => F.writeSettings(w, []));
    return c;
  }

  /** Writes the frames `build` puts in a buffer; false once the socket is gone. */
  send(build: (w: WriteBuffer) => void): boolean {
    const w = new WriteBuffer();
    build(w);
    const chunk = w.take();
    if (chunk === null || this.closed || this.sock.destroyed) return !this.closed;
    for (const c of Array.isArray(chunk) ? chunk : [chunk]) this.sock.write(c);
    return true;
  }

  /** A request's HEADERS on stream `id` (GET unless a method is given). */
  headers(w: WriteBuffer, id: number, path: string, endStream: boolean, method = 'GET'): void {
    this.fields(w, id, [[':method', method], [':scheme', 'http'], [':authority', 'test'], [':path', path]], endStream);
  }

  /** A header block of exactly these fields (valid or not) on stream `id`: a request's HEADERS or trailers. */
  fields(w: WriteBuffer, id: number, fields: ReadonlyArray<readonly [string, string]>, endStream: boolean): void {
    const block = new WriteBuffer();
    for (const [n, v] of fields) this.enc.encode(block, n, v);
    F.writeHeaderBlock(w, id, block.take() as Buffer, 16384, endStream);
  }

  /** Per stream, its first answer once each of `ids` has one: `rst <code>` or `headers`. */
  async firstAnswers(ids: readonly number[], timeoutMs = 3000): Promise<Map<number, string>> {
    const answer = (id: number): string | undefined => {
      const f = this.frames.find((x) => x.id === id && (x.type === F.RST_STREAM || x.type === F.HEADERS));
      if (f === undefined) return undefined;
      return f.type === F.RST_STREAM ? `rst ${f.payload.readUInt32BE(0)}` : 'headers';
    };
    await this.waitFor(() => ids.every((id) => answer(id) !== undefined), `answers on streams ${ids.join(',')}`, timeoutMs);
    return new Map(ids.map((id) => [id, answer(id) as string]));
  }

  /** Frames of `type` received (on stream `id` if given). */
  count(type: number, id?: number): number {
    return this.frames.filter((f) => f.type === type && (id === undefined || f.id === id)).length;
  }

  async waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    await this.waitFor(() => this.closed, 'the connection to close', timeoutMs);
  }

  destroy(): void {
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    if (this.preface > 0) {
      const n = Math.min(this.preface, d.length);
      this.preface -= n;
      d = d.subarray(n);
    }
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let off = 0;
    while (off + 9 <= this.buf.length) {
      const len = this.buf.readUIntBE(off, 3);
      if (off + 9 + len > this.buf.length) break;
      const b = this.buf;
      this.frames.push({ type: b[off + 3] as number, flags: b[off + 4] as number, id: b.readUInt32BE(off + 5) & 0x7fffffff, payload: b.subarray(off + 9, off + 9 + len) });
      off += 9 + len;
    }
    this.buf = this.buf.subarray(off);
  }
}
