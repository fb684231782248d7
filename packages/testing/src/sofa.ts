/**
 * Real SOFARPC peers for Bolt tests (sofa-rpc-node from the root devDependencies), on loopback without a registry:
 * - startSofaServer: a real RpcServer bound to 127.0.0.1:0 (it has no host option and normally listens on all
 *   interfaces), started without RpcServer.start() so it installs no process-wide uncaughtException handler, and
 *   kept from answering oneway requests (RpcServer answers them; a Bolt server must not).
 * - createSofaConsumer: a real RpcClient consumer with a fixed serverHost; close() ends its connections at once.
 * - startBoltRecorder: a raw TCP server that records every byte a client sends and answers with `reply`.
 */
import net from 'node:net';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { boltCodec } from '@weft/proxy/codec/bolt/index';
import type { RpcFrame } from '@weft/proxy/interfaces/rpc-codec';

const require = createRequire(import.meta.url);

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

export type SofaMethod = (...args: unknown[]) => unknown;

export interface SofaCall {
  readonly service: string;
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface SofaServer {
  readonly port: number;
  /** Every call the service ran, in order (oneway ones too). */
  readonly calls: SofaCall[];
  /** Every request frame that arrived (not heartbeats), as the Bolt codec reads it: ids, headers, oneway, etc. */
  readonly frames: RpcFrame[];
  /** Heartbeat requests the server received (RpcServer acknowledges each). */
  readonly heartbeats: number;
  close(): Promise<void>;
}

export interface SofaServerOptions {
  readonly methods: Readonly<Record<string, SofaMethod>>;
  readonly interfaceName?: string;
  readonly version?: string;
  readonly uniqueId?: string;
}

interface RpcRequestLike {
  readonly packetId: number;
  readonly data: { readonly serverSignature: string; readonly methodName: string; readonly args: unknown[] };
}

interface RpcResponseLike {
  readonly req: RpcRequestLike;
  send(res: unknown): Promise<void>;
}

interface RpcServerLike {
  readonly _servers: net.Server[];
  _handleSocket(socket: net.Socket): void;
  addService(info: object, delegate: object): void;
  close(): Promise<void>;
}

interface SofaModule {
  readonly server: {
    readonly RpcServer: new (options: object) => RpcServerLike;
    readonly RpcResponse: new (req: unknown, conn: unknown) => RpcResponseLike;
  };
  readonly client: { readonly RpcClient: new (options: object) => RpcClientLike };
}

interface RpcClientLike {
  createConsumer(options: object): RpcConsumerLike;
  close(): Promise<void>;
}

interface RpcConsumerLike {
  ready(): Promise<void>;
  invoke(method: string, args: unknown[], options: object): Promise<unknown>;
}

function sofa(): SofaModule {
  return require('sofa-rpc-node') as SofaModule;
}

export const DEFAULT_INTERFACE = 'com.weft.test.EchoService';

/** A real sofa-rpc-node RpcServer on 127.0.0.1:0 serving `methods` (plain or async functions). */
export async function startSofaServer(options: SofaServerOptions): Promise<SofaServer> {
  const { RpcServer, RpcResponse } = sofa().server;
  const onewayIds = new Set<number>();
  /** Drops the reply RpcServer would send to a oneway request. */
  class OnewayAwareResponse extends RpcResponse {
    override async send(res: unknown): Promise<void> {
      if (onewayIds.delete(this.req.packetId)) return;
      await super.send(res);
    }
  }
  const rpc = new RpcServer({ logger: quiet, port: 0, responseClass: OnewayAwareResponse, version: options.version ?? '1.0' });
  const calls: SofaCall[] = [];
  const interfaceName = options.interfaceName ?? DEFAULT_INTERFACE;
  const delegate: Record<string, SofaMethod> = {};
  for (const [name, fn] of Object.entries(options.methods)) {
    // RpcServer only calls async functions.
    delegate[name] = async (...args: unknown[]) => {
      calls.push({ service: interfaceName, method: name, args });
      return fn(...args);
    };
  }
  rpc.addService({ interfaceName, ...(options.uniqueId ? { uniqueId: options.uniqueId } : {}) }, delegate);
  const state = { heartbeats: 0 };
  const received: RpcFrame[] = [];
  const server = net.createServer((socket) => {
    // Note oneway request ids before RpcServer's decoder sees them.
    const codec = boltCodec.createConnectionCodec({ maxFrameBytes: 16 * 1024 * 1024 });
    const frames: RpcFrame[] = [];
    socket.on('data', (chunk: Buffer) => {
      try {
        codec.decode(chunk, frames);
      } catch {
        return; // RpcServer's own decoder reports the broken stream
      }
      for (const f of frames) {
        if (f.kind !== 'request') continue;
        if (f.heartbeat) state.heartbeats++;
        else received.push(f);
        if (f.oneway) onewayIds.add(f.requestId);
      }
      frames.length = 0;
    });
    rpc._handleSocket(socket);
  });
  rpc._servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    frames: received,
    get heartbeats() {
      return state.heartbeats;
    },
    close: () => rpc.close(),
  };
}

export interface SofaConsumer {
  invoke(method: string, args: unknown[], options?: { responseTimeout?: number }): Promise<unknown>;
  close(): Promise<void>;
}

/** Which Bolt framing the consumer writes: v1 (the default of sofa-rpc-node), v2, or v2 with CRC32. */
export type SofaBoltVersion = 'v1' | 'v2' | 'v2-crc';

export interface SofaConsumerOptions {
  readonly interfaceName?: string;
  readonly version?: string;
  readonly uniqueId?: string;
  readonly targetAppName?: string;
  readonly bolt?: SofaBoltVersion;
}

interface BoltEncoderLike {
  protocolType: string;
  boltVersion: number;
  crcEnable: boolean;
}

interface BoltProtocolModule {
  encoder(options: object): BoltEncoderLike;
}

/** sofa-bolt-node with its encoder switched to v2 framing (the library supports it, the client has no option). */
function boltV2Protocol(crc: boolean): object {
  const base = require('sofa-bolt-node') as BoltProtocolModule;
  const v2 = Object.create(base) as BoltProtocolModule;
  v2.encoder = (options: object) => {
    const e = base.encoder(options);
    e.protocolType = 'bolt2';
    e.boltVersion = crc ? 2 : 1;
    e.crcEnable = crc;
    return e;
  };
  return v2;
}

/** A real sofa-rpc-node consumer calling `interfaceName:version` at 127.0.0.1:port (no registry). */
export async function createSofaConsumer(port: number, options: SofaConsumerOptions = {}): Promise<SofaConsumer> {
  const bolt = options.bolt ?? 'v1';
  // A fresh connectionOpts: RpcClient writes `protocol` into its shared default object otherwise.
  const client = new (sofa().client.RpcClient)({
    logger: quiet,
    retryFaultInterval: 200,
    connectionOpts: { protocol: bolt === 'v1' ? require('sofa-bolt-node') : boltV2Protocol(bolt === 'v2-crc'), noDelay: true, connectTimeout: 3000 },
  });
  const consumer = client.createConsumer({
    interfaceName: options.interfaceName ?? DEFAULT_INTERFACE,
    version: options.version ?? '1.0',
    ...(options.uniqueId ? { uniqueId: options.uniqueId } : {}),
    ...(options.targetAppName ? { targetAppName: options.targetAppName } : {}),
    serverHost: `127.0.0.1:${port}`,
  });
  await consumer.ready();
  return {
    invoke: (method, args, o = {}) => consumer.invoke(method, args, { responseTimeout: o.responseTimeout ?? 3000 }),
    close: () => client.close(),
  };
}

export interface BoltRecorder {
  readonly port: number;
  /** Every chunk received, per connection, in order. */
  readonly received: Buffer[][];
  /** All bytes received on connection `i`. */
  bytes(i?: number): Buffer;
  close(): Promise<void>;
}

/**
 * A raw TCP server on 127.0.0.1:0 that records what clients send; for each frame (cut with the Bolt codec) it calls
 * `reply` and writes what it returns.
 */
export async function startBoltRecorder(reply?: (frame: RpcFrame) => Buffer | undefined): Promise<BoltRecorder> {
  const received: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const mine: Buffer[] = [];
    received.push(mine);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const codec = boltCodec.createConnectionCodec({ maxFrameBytes: 16 * 1024 * 1024 });
    socket.on('data', (chunk: Buffer) => {
      mine.push(Buffer.from(chunk));
      if (!reply) return;
      const frames: RpcFrame[] = [];
      codec.decode(chunk, frames);
      for (const f of frames) {
        const out = reply(f);
        if (out) socket.write(out);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received,
    bytes: (i = 0) => Buffer.concat(received[i] ?? []),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
