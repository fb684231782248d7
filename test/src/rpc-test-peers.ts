/** Test peers speaking the test RPC protocol (rpc-test-codec.ts): an upstream server and a multiplexing client. */
import net from 'node:net';
import type { RpcFrame } from '@weft/proxy/interfaces/rpc-codec';
import { encodeTestFrame, F_HEARTBEAT, F_ONEWAY, F_RESPONSE, TestDecoder, type TestBody, type TestFrame } from './rpc-test-codec.js';

export const MAGIC = 'WR';

export interface ServerCall {
  readonly frame: TestFrame;
  readonly socket: net.Socket;
  /** Sends the response (status index: 0 ok, 1 server_error). */
  reply(body: TestBody, status?: number): void;
}

export type ServerHandler = (call: ServerCall) => void;

export interface RpcTestServer {
  readonly name: string;
  readonly port: number;
  /** Every request frame received (heartbeats excluded). */
  readonly received: TestFrame[];
  readonly heartbeats: TestFrame[];
  /** Connections accepted so far. */
  connections: number;
  readonly sockets: Set<net.Socket>;
  handler: ServerHandler;
  /** Answer heartbeats (default true). */
  answerHeartbeats: boolean;
  close(): Promise<void>;
}

/** Answers `{ server, service, method, args, headers }`. */
export function echoHandler(name: string): ServerHandler {
  return (c) => {
    const f = c.frame;
    c.reply({ result: { server: name, service: f.service, method: f.method, args: f.body.args ?? [], headers: f.body.headers ?? {} } });
  };
}

export async function startRpcServer(name: string, handler?: ServerHandler): Promise<RpcTestServer> {
  const sockets = new Set<net.Socket>();
  const srv: RpcTestServer = {
    name,
    port: 0,
    received: [],
    heartbeats: [],
    connections: 0,
    sockets,
    handler: handler ?? echoHandler(name),
    answerHeartbeats: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    srv.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new TestDecoder(MAGIC, 1 << 20);
    socket.on('data', (chunk: Buffer) => {
      const frames: RpcFrame[] = [];
      try {
        decoder.decode(chunk, frames);
      } catch {
        socket.destroy();
        return;
      }
      for (const fr of frames) {
        const f = fr as TestFrame;
        if (f.kind !== 'request') continue;
        if (f.heartbeat) {
          srv.heartbeats.push(f);
          if (srv.answerHeartbeats) socket.write(encodeTestFrame(MAGIC, { flags: F_RESPONSE | F_HEARTBEAT, status: 0, id: f.requestId, timeoutMs: 0, body: {} }));
          continue;
        }
        srv.received.push(f);
        srv.handler({
          frame: f,
          socket,
          reply(body, status = 0) {
            if (f.oneway || socket.destroyed) return;
            socket.write(encodeTestFrame(MAGIC, { flags: F_RESPONSE, status, id: f.requestId, timeoutMs: 0, body }));
          },
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (srv as { port: number }).port = (server.address() as net.AddressInfo).port;
  return srv;
}

export interface CallOptions {
  oneway?: boolean;
  timeoutMs?: number;
  id?: number;
}

/** A client that sends many calls on one connection and matches responses by id. */
export class RpcTestClient {
  readonly socket: net.Socket;
  private nextId = 1;
  private readonly waiting = new Map<number, (f: TestFrame) => void>();
  /** Frames that answered no call (goaway, stray responses). */
  readonly others: TestFrame[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new TestDecoder(MAGIC, 1 << 20);

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const frames: RpcFrame[] = [];
      this.decoder.decode(chunk, frames);
      for (const fr of frames) {
        const f = fr as TestFrame;
        const w = f.kind === 'response' ? this.waiting.get(f.requestId) : undefined;
        if (w === undefined) {
          this.others.push(f);
          continue;
        }
        this.waiting.delete(f.requestId);
        w(f);
      }
    });
  }

  static connect(port: number): Promise<RpcTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RpcTestClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends a call; resolves with its response (oneway: resolves once written, with undefined). */
  call(body: TestBody, opts: CallOptions = {}): Promise<TestFrame> {
    const id = opts.id ?? this.nextId++;
    const flags = opts.oneway ? F_ONEWAY : 0;
    const p = new Promise<TestFrame>((resolve) => this.waiting.set(id, resolve));
    this.socket.write(encodeTestFrame(MAGIC, { flags, status: 0, id, timeoutMs: opts.timeoutMs ?? 0, body }));
    return p;
  }

  /** Sends a heartbeat and resolves with its answer. */
  heartbeat(): Promise<TestFrame> {
    const id = this.nextId++;
    const p = new Promise<TestFrame>((resolve) => this.waiting.set(id, resolve));
    this.socket.write(encodeTestFrame(MAGIC, { flags: F_HEARTBEAT, status: 0, id, timeoutMs: 0, body: {} }));
    return p;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }
}

/** The result of an echo response. */
export function resultOf(f: TestFrame): { server: string; service: string; method: string; args: unknown[]; headers: Record<string, string> } {
  return f.body.result as { server: string; service: string; method: string; args: unknown[]; headers: Record<string, string> };
}
