import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { hessianDecoder, hessianEncoder } from '@weft/proxy/codec/dubbo/hessian';
import { dubboFrame } from './dubbo-frames.js';

/** A call the provider received (two-way or oneway), with its decoded attachments. */
export interface DubboCall {
  readonly requestId: bigint;
  readonly oneway: boolean;
  readonly dubboVersion: string;
  readonly service: string;
  readonly version: string;
  readonly method: string;
  readonly parameterTypes: string;
  readonly args: unknown[];
  readonly attachments: Record<string, unknown>;
}

/** Thrown by a method to answer with a non-OK status byte and an error message (how Dubbo servers fail). */
export class DubboStatusError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A method returns a value (or a promise of one); throwing DubboStatusError fails with a status, any other error
 * answers OK with a Java exception body (a business exception). */
export type DubboMethod = (args: unknown[], call: DubboCall) => unknown;

export interface DubboProvider {
  readonly port: number;
  readonly calls: DubboCall[];
  /** Heartbeat requests answered. */
  heartbeats: number;
  /** Delays every two-way answer (not heartbeats) by this many ms; settable at any time. */
  delayMs: number;
  /** Sends the read-only event ("R", Dubbo's graceful-close notice) on every open connection. */
  sendReadOnly(): void;
  close(): Promise<void>;
}

const OK = 20;
const BAD_REQUEST = 40;
const SERVICE_NOT_FOUND = 60;

/**
 * A Dubbo provider on 127.0.0.1:0 built on hessian.js, independent of Weft's codec: `services` maps an interface
 * name to its methods. Answers two-way calls, records and ignores oneway ones, answers heartbeats.
 */
export async function startDubboProvider(opts: { services: Record<string, Record<string, DubboMethod>> }): Promise<DubboProvider> {
  const sockets = new Set<net.Socket>();
  const calls: DubboCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16) {
        const total = 16 + buf.readUInt32BE(12);
        if (buf[0] !== 0xda || buf[1] !== 0xbb) return void socket.destroy();
        if (buf.length < total) break;
        const frame = buf.subarray(0, total);
        buf = buf.subarray(total);
        void onFrame(socket, frame);
      }
    });
  });
  const provider: DubboProvider = {
    port: 0,
    calls,
    heartbeats: 0,
    delayMs: 0,
    sendReadOnly: () => {
      for (const s of sockets) s.write(dubboFrame(0xa2, 0, 0n, hessianEncoder().writeString('R').get()));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  async function onFrame(socket: net.Socket, bytes: Buffer): Promise<void> {
    const flags = bytes[2] as number;
    const id = bytes.readBigUInt64BE(4);
    if ((flags & 0x80) === 0) return; // responses (to our read-only event) are ignored
    if ((flags & 0x20) !== 0) {
      provider.heartbeats++;
      if ((flags & 0x40) !== 0) socket.write(dubboFrame(0x22, OK, id, Buffer.of(0x4e)));
      return;
    }
    let call: DubboCall;
    try {
      call = decodeCall(bytes, id, (flags & 0x40) === 0);
    } catch (err) {
      if ((flags & 0x40) !== 0) socket.write(dubboFrame(0x02, BAD_REQUEST, id, hessianEncoder().writeString(`Decode rpc invocation failed: ${(err as Error).message}`).get()));
      return;
    }
    calls.push(call);
    const { service, method, args } = call;
    let status = OK;
    const body = hessianEncoder();
    const impl = opts.services[service]?.[method];
    try {
      if (!impl) throw new DubboStatusError(SERVICE_NOT_FOUND, `Not found exported service: ${service}:${method}`);
      if (provider.delayMs > 0) await delay(provider.delayMs);
      const value = await impl(args, call);
      if (value === null || value === undefined) body.writeInt(2);
      else body.writeInt(1).write(value);
    } catch (err) {
      if (err instanceof DubboStatusError) {
        status = err.status;
        body.writeString(err.message);
      } else body.writeInt(0).write({ $class: 'java.lang.RuntimeException', $: { detailMessage: (err as Error).message } });
    }
    if (!call.oneway && !socket.destroyed) socket.write(dubboFrame(0x02, status, id, body.get()));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (provider as { port: number }).port = (server.address() as AddressInfo).port;
  return provider;
}

function decodeCall(bytes: Buffer, requestId: bigint, oneway: boolean): DubboCall {
  const d = hessianDecoder(bytes.subarray(16));
  const [dubboVersion, service, version, method, parameterTypes] = [d.readString(), d.readString(), d.readString(), d.readString(), d.readString()];
  const args: unknown[] = [];
  for (let i = 0; i < countTypes(parameterTypes); i++) args.push(d.read());
  const attachments = (d.read() ?? {}) as Record<string, unknown>;
  return { requestId, oneway, dubboVersion, service, version, method, parameterTypes, args, attachments };
}

function countTypes(desc: string): number {
  return desc.match(/\[*(L[^;]+;|[ZBCDFIJS])/g)?.length ?? 0;
}
