// Real frames for the RPC bench, captured once at start-up: a real client calls a real server through a recording
// relay on loopback, and the first two-way request and its response are cut out of the recorded bytes.
//   bolt:  sofa-rpc-node consumer -> sofa-rpc-node RpcServer (Bolt v1, hessian2 SofaRequest / SofaResponse)
//   dubbo: dubbo2.js DirectlyDubbo -> hessian.js provider (Dubbo 2.0.2, hessian2)
// The peers come from the built @weft/testing package (run `npm run build` first).
import net from 'node:net';
import { once } from 'node:events';
import { forEachFrame, frameKind, readId } from './rpc-frames.js';

export const BENCH_SERVICE = 'com.weft.bench.EchoService';
export const BENCH_METHOD = 'echo';
const BOLT_VERSION = '1.0';
const DUBBO_VERSION = '1.0.0';
// A short payload, so that the frames stay small and the header work dominates as in typical RPC traffic.
const PAYLOAD = 'hello from the weft rpc bench';

/** A TCP relay in front of `targetPort` that keeps every byte in both directions. */
async function startRecordingRelay(targetPort) {
  const up = [];
  const down = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (c) => {
      up.push(Buffer.from(c));
      server.write(c);
    });
    server.on('data', (c) => {
      down.push(Buffer.from(c));
      client.write(c);
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    up: () => Buffer.concat(up),
    down: () => Buffer.concat(down),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function importPeers(specifier) {
  try {
    return await import(specifier);
  } catch (err) {
    throw new Error(`the RPC bench takes its peers from the built ${specifier} (run npm run build first): ${err.message}`);
  }
}

/** The first frame of `kind` in `bytes` (and, with `id`, with that request id), copied out. */
export function firstFrame(bytes, protocol, isResponse, kind, id) {
  let found = null;
  forEachFrame(bytes, protocol, undefined, (buf, off, len) => {
    if (found || frameKind(buf, off, protocol) !== kind) return;
    if (id !== undefined && readId(buf, off, protocol) !== id) return;
    found = Buffer.from(buf.subarray(off, off + len));
  });
  if (!found) throw new Error(`no ${protocol} ${kind} frame in the ${bytes.length} captured bytes`);
  return found;
}

async function boltCall(relayPort, testing) {
  const consumer = await testing.createSofaConsumer(relayPort, { interfaceName: BENCH_SERVICE, version: BOLT_VERSION });
  try {
    const res = await consumer.invoke(BENCH_METHOD, [PAYLOAD]);
    if (res !== PAYLOAD) throw new Error(`sofa-rpc-node echo returned ${JSON.stringify(res)}`);
  } finally {
    await consumer.close();
  }
}

async function dubboCall(relayPort, testing) {
  const client = testing.dubboClient(relayPort, { timeoutSec: 5 });
  try {
    const svc = client.service({ dubboInterface: BENCH_SERVICE, version: DUBBO_VERSION, methods: { [BENCH_METHOD]: (s) => [testing.java.String(s)] } });
    const { res, err } = await svc[BENCH_METHOD](PAYLOAD);
    if (err || res !== PAYLOAD) throw new Error(`dubbo2.js echo failed: ${err?.message ?? JSON.stringify(res)}`);
  } finally {
    client.close();
  }
}

/**
 * Captures one real request/response exchange of `protocol` ('bolt' | 'dubbo'). Resolves { request, response,
 * service, method, version } with standalone copies of both frames.
 */
export async function captureExchange(protocol) {
  if (protocol === 'bolt') {
    const sofa = await importPeers('@weft/testing/sofa');
    const server = await sofa.startSofaServer({ interfaceName: BENCH_SERVICE, version: BOLT_VERSION, methods: { [BENCH_METHOD]: (s) => s } });
    return captureThrough(protocol, server.port, () => server.close(), (port) => boltCall(port, sofa), BOLT_VERSION);
  }
  if (protocol === 'dubbo') {
    const [provider, client] = await Promise.all([importPeers('@weft/testing/dubbo-provider'), importPeers('@weft/testing/dubbo-client')]);
    const server = await provider.startDubboProvider({ services: { [BENCH_SERVICE]: { [BENCH_METHOD]: (args) => args[0] } } });
    return captureThrough(protocol, server.port, () => server.close(), (port) => dubboCall(port, client), DUBBO_VERSION);
  }
  throw new Error(`unknown RPC protocol ${protocol}`);
}

async function captureThrough(protocol, serverPort, closeServer, call, version) {
  const relay = await startRecordingRelay(serverPort);
  try {
    await call(relay.port);
    // The client resolved on the response, so the relay has recorded it (it records before writing on).
    const request = firstFrame(relay.up(), protocol, false, 'request');
    const response = firstFrame(relay.down(), protocol, true, 'response', readId(request, 0, protocol));
    return { protocol, request, response, service: BENCH_SERVICE, method: BENCH_METHOD, version };
  } finally {
    await relay.close();
    await closeServer();
  }
}
