/**
 * Real Apache Thrift peers (npm `thrift` 0.22.0) for codec and end-to-end tests: a server for the Calc and Greeter
 * services of test/fixtures/thrift/calc.thrift and a client factory, over framed or buffered (unframed) transport
 * and binary or compact protocol, optionally multiplexed (`Calc:add`). The node code is generated at first use with
 * the Debian `thrift` compiler (`thrift --gen js:node`) into a temporary directory, loaded, then deleted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import thrift from 'thrift';

const require = createRequire(import.meta.url);

export type ThriftTransportName = 'framed' | 'buffered';
/**
 * `header` is the library's THeaderProtocol: a server answers THeader requests in THeader (binary or compact inside)
 * and plain ones plainly; the library's client never starts THeader itself (it flushes the bare transport).
 */
export type ThriftProtocolName = 'binary' | 'compact' | 'header';

export interface ThriftPeerOptions {
  readonly transport: ThriftTransportName;
  readonly protocol: ThriftProtocolName;
  /** Use TMultiplexedProcessor / Multiplexer: message names become `Calc:add`, `Greeter:hello`. */
  readonly multiplexed?: boolean;
}

/** The IDL's `Item` struct as the generated code carries it (i64 as node-int64). */
export interface ThriftItem {
  name?: string;
  id?: unknown;
  tags?: number[];
  weights?: Record<string, number>;
  flag?: boolean;
  child?: ThriftItem;
}

/** Handlers in promise style (the generated processor calls them with exactly these parameters). */
export interface CalcHandlers {
  add(a: number, b: number): Promise<number> | number;
  echo(s: string, item: ThriftItem, labels: string[], b: number, s16: number, big: unknown, d: number, t: boolean): Promise<string> | string;
  fail(why: string, code: number): Promise<void> | void;
  slow(ms: number, value: number): Promise<number> | number;
  fire(note: string): void;
  hello(name: string): Promise<string> | string;
}

export interface CalcClient {
  add(a: number, b: number): Promise<number>;
  echo(s: string, item: ThriftItem, labels: string[], b: number, s16: number, big: unknown, d: number, t: boolean): Promise<string>;
  fail(why: string, code: number): Promise<void>;
  slow(ms: number, value: number): Promise<number>;
  fire(note: string): Promise<void>;
}

export interface GreeterClient {
  hello(name: string): Promise<string>;
}

export interface ThriftGenerated {
  readonly Calc: unknown;
  readonly Greeter: unknown;
  /** `new types.Oops({why, code})` is the IDL exception; `new types.Item({...})` the struct. */
  readonly types: { Oops: new (args: { why: string; code: number }) => Error; Item: new (args: ThriftItem) => ThriftItem };
}

let generated: ThriftGenerated | undefined;

/** The IDL the peers use. */
export const THRIFT_IDL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/thrift/calc.thrift');

/** Generates (once per process) and loads the node code for the fixture IDL. */
export function loadThriftFixture(): ThriftGenerated {
  if (generated) return generated;
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-thrift-'));
  try {
    execFileSync('thrift', ['--gen', 'js:node', '-out', dir, THRIFT_IDL], { stdio: 'pipe' });
    // The generated files require('thrift') and 'node-int64': point them at this package's copies.
    const thriftPath = require.resolve('thrift');
    const int64Path = createRequire(thriftPath).resolve('node-int64');
    for (const f of readdirSync(dir)) {
      const file = path.join(dir, f);
      const src = readFileSync(file, 'utf8')
        .replaceAll("require('thrift')", `require(${JSON.stringify(thriftPath)})`)
        .replaceAll("require('node-int64')", `require(${JSON.stringify(int64Path)})`);
      writeFileSync(file, src);
    }
    const types = require(path.join(dir, 'calc_types.js')) as ThriftGenerated['types'];
    generated = { Calc: require(path.join(dir, 'Calc.js')), Greeter: require(path.join(dir, 'Greeter.js')), types };
    return generated;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function transportOf(name: ThriftTransportName): thrift.TTransportConstructor {
  return name === 'framed' ? thrift.TFramedTransport : thrift.TBufferedTransport;
}

function protocolOf(name: ThriftProtocolName): thrift.TProtocolConstructor {
  if (name === 'header') return (thrift as unknown as { THeaderProtocol: thrift.TProtocolConstructor }).THeaderProtocol;
  return name === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
}

export interface ThriftCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface TestThriftServer {
  readonly port: number;
  /** Every call the handlers received, in order. */
  readonly calls: ThriftCall[];
  close(): Promise<void>;
}

/**
 * Default behaviour: add sums; echo returns `s`; fail throws the IDL exception `Oops` (or a plain Error, answered as
 * a TApplicationException, when `why` is `crash`); slow answers `value` after `ms`; fire records; hello greets.
 */
export async function startThriftServer(opts: ThriftPeerOptions & { handlers?: Partial<CalcHandlers> }): Promise<TestThriftServer> {
  const gen = loadThriftFixture();
  const calls: ThriftCall[] = [];
  const h = opts.handlers ?? {};
  const timers = new Set<NodeJS.Timeout>();
  const calc = {
    add(a: number, b: number) { calls.push({ method: 'add', args: [a, b] }); return h.add ? h.add(a, b) : a + b; },
    echo(s: string, item: ThriftItem, labels: string[], b: number, s16: number, big: unknown, d: number, t: boolean) {
      calls.push({ method: 'echo', args: [s, item, labels, b, s16, big, d, t] });
      return h.echo ? h.echo(s, item, labels, b, s16, big, d, t) : s;
    },
    fail(why: string, code: number) {
      calls.push({ method: 'fail', args: [why, code] });
      if (h.fail) return h.fail(why, code);
      if (why === 'crash') throw new Error(`crashed: ${code}`);
      throw new gen.types.Oops({ why, code });
    },
    slow(ms: number, value: number) {
      calls.push({ method: 'slow', args: [ms, value] });
      if (h.slow) return h.slow(ms, value);
      return new Promise<number>((resolve) => {
        const t = setTimeout(() => { timers.delete(t); resolve(value); }, ms);
        timers.add(t);
      });
    },
    fire(note: string) { calls.push({ method: 'fire', args: [note] }); h.fire?.(note); },
  };
  const greeter = {
    hello(name: string) { calls.push({ method: 'hello', args: [name] }); return h.hello ? h.hello(name) : `hello ${name}`; },
  };
  const serverOptions = { transport: transportOf(opts.transport), protocol: protocolOf(opts.protocol) };
  let server: Server;
  if (opts.multiplexed) {
    const processor = new thrift.MultiplexedProcessor() as thrift.MultiplexedProcessor & { registerProcessor(n: string, p: unknown): void };
    const proc = (svc: unknown, handler: unknown): unknown => new (svc as { Processor: new (h: unknown) => unknown }).Processor(handler);
    processor.registerProcessor('Calc', proc(gen.Calc, calc));
    processor.registerProcessor('Greeter', proc(gen.Greeter, greeter));
    // createMultiplexServer exists in the library but not in @types/thrift.
    const createMux = (thrift as unknown as { createMultiplexServer(p: unknown, o: unknown): Server }).createMultiplexServer;
    server = createMux(processor, serverOptions);
  } else {
    server = thrift.createServer(gen.Calc as thrift.TProcessorConstructor<unknown, unknown>, calc, serverOptions) as unknown as Server;
  }
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface TestThriftClient {
  readonly calc: CalcClient;
  /** Only with `multiplexed` (a plain connection serves one service). */
  readonly greeter: GreeterClient;
  /** Connection-level errors the library emitted (e.g. a reply it could not read). */
  readonly errors: Error[];
  close(): Promise<void>;
}

/** A real client connected to 127.0.0.1:`port`, never reconnecting. */
export async function createThriftClient(port: number, opts: ThriftPeerOptions): Promise<TestThriftClient> {
  const gen = loadThriftFixture();
  const conn = thrift.createConnection('127.0.0.1', port, { transport: transportOf(opts.transport), protocol: protocolOf(opts.protocol) });
  const errors: Error[] = [];
  conn.on('error', (e: Error) => errors.push(e));
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', () => resolve());
    conn.once('error', reject);
  });
  let calc: CalcClient;
  let greeter: GreeterClient;
  if (opts.multiplexed) {
    const mp = new thrift.Multiplexer();
    calc = mp.createClient('Calc', gen.Calc as thrift.TClientConstructor<CalcClient>, conn);
    greeter = mp.createClient('Greeter', gen.Greeter as thrift.TClientConstructor<GreeterClient>, conn);
  } else {
    calc = thrift.createClient(gen.Calc as thrift.TClientConstructor<CalcClient>, conn);
    greeter = { hello: () => Promise.reject(new Error('Greeter needs a multiplexed client')) };
  }
  return {
    calc,
    greeter,
    errors,
    close: () => new Promise<void>((resolve) => {
      const socket = (conn as unknown as { connection: Socket }).connection;
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      conn.end();
    }),
  };
}
