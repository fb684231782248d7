/**
 * A minimal WebSocket (RFC 6455) peer pair for tests: an echo server on node:http's 'upgrade' event and a raw-socket
 * client. Text/binary frames are echoed; a close frame is answered with a close frame, then the server ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** One frame (FIN set); client frames are masked as RFC 6455 requires. */
export function encodeFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  else if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, body]);
}

export interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Incremental frame reader. */
export class FrameReader {
  private buf = Buffer.alloc(0);
  readonly frames: Frame[] = [];

  push(chunk: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      const masked = ((b[1] as number) & 0x80) !== 0;
      let len = (b[1] as number) & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const keyOff = off;
      if (masked) off += 4;
      if (b.length < off + len) break;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (b[keyOff + (i & 3)] as number);
      out.push({ opcode: (b[0] as number) & 0x0f, payload });
      this.buf = b.subarray(off + len);
    }
    this.frames.push(...out);
    return out;
  }
}

export interface WsEchoServer {
  readonly port: number;
  /** Request heads the server saw (raw header pairs, lower-cased names). */
  readonly requests: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  /** Server-side sockets of accepted upgrades. */
  readonly sockets: net.Socket[];
  close(): Promise<void>;
}

/**
 * WebSocket echo server. `greeting`: a text frame sent in the same write as the 101 head. Requests to `/reject`
 * get a plain 404 with body `nop`.
 */
export async function startWsEchoServer(greeting = 'welcome'): Promise<WsEchoServer> {
  const requests: WsEchoServer['requests'] = [];
  const sockets: net.Socket[] = [];
  const server = http.createServer((_req, res) => res.end('plain'));
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/reject') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nnop');
      return;
    }
    sockets.push(socket);
    const key = String(req.headers['sec-websocket-key']);
    const reply = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from(reply, 'latin1'), encodeFrame(1, Buffer.from(greeting), false)]));
    const reader = new FrameReader();
    const onFrames = (frames: Frame[]): void => {
      for (const f of frames) {
        if (f.opcode === 8) {
          socket.end(encodeFrame(8, f.payload, false));
          return;
        }
        socket.write(encodeFrame(f.opcode, f.payload, false));
      }
    };
    if (head.length > 0) onFrames(reader.push(head));
    socket.on('data', (c: Buffer) => onFrames(reader.push(c)));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface WsClient {
  readonly socket: net.Socket;
  /** Status line and headers of the handshake answer. */
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly reader: FrameReader;
  send(text: string): void;
  /** Resolves with the next `n` frames received (including ones already buffered). */
  next(n?: number): Promise<Frame[]>;
  /** Resolves when the socket is closed. */
  closed: Promise<void>;
  /** The peer ended its side. */
  ended: Promise<void>;
}

/** Opens a WebSocket through `port`; `firstMessage` goes in the same write as the handshake. */
export function connectWs(port: number, path = '/ws', firstMessage?: string, extraHeaders = ''): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    const reader = new FrameReader();
    let consumed = 0;
    const waiters: Array<{ n: number; resolve: (f: Frame[]) => void }> = [];
    const pump = (): void => {
      while (waiters.length > 0 && reader.frames.length - consumed >= (waiters[0] as { n: number }).n) {
        const w = waiters.shift() as { n: number; resolve: (f: Frame[]) => void };
        w.resolve(reader.frames.slice(consumed, consumed + w.n));
        consumed += w.n;
      }
    };
    let head = Buffer.alloc(0);
    let client: WsClient | undefined;
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    const ended = new Promise<void>((r) => socket.on('end', () => r()));
    socket.on('error', reject);
    socket.on('connect', () => {
      const hs = `GET ${path} HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
      const parts: Buffer[] = [Buffer.from(hs, 'latin1')];
      if (firstMessage !== undefined) parts.push(encodeFrame(1, Buffer.from(firstMessage), true));
      socket.write(Buffer.concat(parts));
    });
    socket.on('data', (chunk: Buffer) => {
      if (client !== undefined) {
        reader.push(chunk);
        pump();
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number((lines[0] as string).split(' ')[1]);
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      client = {
        socket,
        status,
        headers,
        reader,
        send: (text) => socket.write(encodeFrame(1, Buffer.from(text), true)),
        next: (n = 1) =>
          new Promise<Frame[]>((r) => {
            waiters.push({ n, resolve: r });
            pump();
          }),
        closed,
        ended,
      };
      const rest = head.subarray(end + 4);
      if (status === 101 && rest.length > 0) reader.push(rest);
      resolve(client);
    });
  });
}
