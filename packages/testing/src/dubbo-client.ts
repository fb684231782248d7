import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** What a proxied method resolves to (the libraries never reject: errors come back in `err`). */
export interface DubboResult {
  readonly res: unknown;
  readonly err: Error | null;
}

/** The parts of a dubbo2.js / apache-dubbo-js `DirectlyDubbo` the tests use (the libraries ship loose typings). */
interface SocketWorker {
  _retry: number;
  _socket?: { destroy(): void };
  _heartBeatTimer?: NodeJS.Timeout;
  _initSocket(): void;
}
interface DirectlyDubbo {
  _socketWorker: SocketWorker;
  proxyService(param: { dubboInterface: string; version?: string; group?: string; timeout?: number; methods: Record<string, (...args: never[]) => unknown[]> }): Record<string, (...args: unknown[]) => Promise<DubboResult>>;
}
interface DubboLib {
  DirectlyDubbo: { from(props: { dubboAddress: string; dubboVersion: string; dubboInvokeTimeout: number }): DirectlyDubbo };
}

/** js-to-java: wraps JS values with their Java types for Hessian (`java.String('x')`, `java.long(1)`, ...). */
export interface JavaTypes {
  String(v: string): unknown;
  int(v: number): unknown;
  long(v: number): unknown;
  double(v: number): unknown;
  Boolean(v: boolean): unknown;
  List(v: unknown[]): unknown;
  Map(v: Record<string, unknown>): unknown;
  combine(className: string, value: unknown): unknown;
  array(className: string, values: unknown[]): unknown;
}

export const java = require('js-to-java') as JavaTypes;

export interface DubboTestClient {
  /** A service proxy: each method sends a two-way call and resolves with `{ res, err }`. */
  service(param: { dubboInterface: string; version?: string; group?: string; timeout?: number; methods: Record<string, (...args: never[]) => unknown[]> }): Record<string, (...args: unknown[]) => Promise<DubboResult>>;
  /** Stops the client's socket worker (the libraries have no close and would reconnect 20 times, 3 s apart). */
  close(): void;
  /** Keeps the connection but stops the client from reconnecting once it closes (its retry timer would hold the
   * process 3 s). */
  noReconnect(): void;
}

/** A real Dubbo client (dubbo2.js or apache-dubbo-js `DirectlyDubbo`) connected straight to 127.0.0.1:port. */
export function dubboClient(port: number, opts: { lib?: 'dubbo2.js' | 'apache-dubbo-js'; timeoutSec?: number } = {}): DubboTestClient {
  const lib = require(opts.lib ?? 'dubbo2.js') as DubboLib;
  const dubbo = lib.DirectlyDubbo.from({ dubboAddress: `127.0.0.1:${port}`, dubboVersion: '2.0.2', dubboInvokeTimeout: opts.timeoutSec ?? 5 });
  return {
    service: (param) => dubbo.proxyService(param),
    close: () => {
      const worker = dubbo._socketWorker;
      worker._retry = 0;
      worker._initSocket = () => undefined;
      clearInterval(worker._heartBeatTimer);
      worker._socket?.destroy();
    },
    noReconnect: () => {
      const worker = dubbo._socketWorker;
      worker._retry = 0;
      worker._initSocket = () => undefined;
    },
  };
}
