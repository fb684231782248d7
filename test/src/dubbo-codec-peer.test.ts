/**
 * The Dubbo codec against real peers: frames from the dubbo2.js / apache-dubbo-js clients, local replies as those
 * clients show them, and the hessian.js test provider answering frames the codec wrote.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { RpcConnectionCodec, RpcFrame, RpcLocalStatus } from '@weft/proxy/interfaces/rpc-codec';
import { dubboCodec } from '@weft/proxy/codec/dubbo/index';
import { hessianDecoder } from '@weft/proxy/codec/dubbo/hessian';
import { DubboStatusError, dubboClient, dubboRequestFrame, java, startDubboProvider, type DubboProvider } from '@weft/testing';

const DEMO = 'org.apache.dubbo.demo.DemoService';
const MAX = 1024 * 1024;

/** A server that decodes with the codec and lets the test answer each request frame. */
async function startCodecServer(answer: (frame: RpcFrame, codec: RpcConnectionCodec) => Buffer | undefined): Promise<{ port: number; frames: RpcFrame[]; close(): Promise<void> }> {
  const frames: RpcFrame[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    socket.on('data', (chunk: Buffer) => {
      const out: RpcFrame[] = [];
      codec.decode(chunk, out);
      for (const f of out) {
        frames.push(f);
        const reply = answer(f, codec);
        if (reply) socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw connection that decodes what the peer sends with the codec. */
async function rawConnection(port: number): Promise<{ socket: net.Socket; frames: RpcFrame[]; next(n: number): Promise<RpcFrame[]> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
  const frames: RpcFrame[] = [];
  socket.on('data', (chunk: Buffer) => codec.decode(chunk, frames));
  const next = async (n: number): Promise<RpcFrame[]> => {
    for (let i = 0; i < 200 && frames.length < n; i++) await sleep(5);
    return frames.splice(0, n);
  };
  return { socket, frames, next };
}

const demoMethods = {
  sayHello: (name: string) => [java.String(name)],
  mixed: () => [java.int(42), java.long(1234567890123), java.Boolean(true), java.List(['a', 'b']), java.combine('com.x.User', { id: 7, name: 'n' })],
};

for (const lib of ['dubbo2.js', 'apache-dubbo-js'] as const) {
  const app = lib === 'dubbo2.js' ? 'dubbo2.js' : 'dubbo-js';
  describe(`dubbo codec with the real ${lib} client`, () => {
    test('decodes live calls and the client shows each local reply with its status message', async () => {
      const statuses: RpcLocalStatus[] = ['no_route', 'no_healthy_upstream', 'upstream_unavailable', 'timeout', 'overflow', 'rate_limited', 'fault_abort', 'bad_request'];
      let n = 0;
      const server = await startCodecServer((f, codec) => codec.encodeLocalReply(f, statuses[n++ % statuses.length]!, `weft: ${f.method} failed`));
      const client = dubboClient(server.port, { lib, timeoutSec: 5 });
      try {
        const svc = client.service({ dubboInterface: DEMO, version: '2.0.0', group: 'blue', timeout: 1500, methods: demoMethods });
        const first = await svc.sayHello!('world');
        const second = await svc.mixed!();
        const rest = [];
        for (let i = 2; i < statuses.length; i++) rest.push(await svc.sayHello!('x'));
        const expected = (m: string): string => String.fromCharCode(`weft: ${m} failed`.length) + `weft: ${m} failed`;
        // The JS clients show the raw body after the header for non-OK statuses: the Hessian string, length byte first.
        assert.equal(first.err?.message, expected('sayHello'));
        assert.equal(second.err?.message, expected('mixed'));
        for (const r of rest) assert.equal(r.err?.message, expected('sayHello'));
        const [a, b] = server.frames;
        assert.deepEqual([a!.service, a!.method, a!.version, a!.group, a!.application, a!.requestTimeoutMs], [DEMO, 'sayHello', '2.0.0', 'blue', app, 1500]);
        assert.deepEqual(Object.fromEntries(a!.headers), { application: app, group: 'blue', interface: DEMO, path: DEMO, timeout: '1500', version: '2.0.0' });
        assert.deepEqual(a!.args(), ['world']);
        assert.equal(b!.method, 'mixed');
        assert.deepEqual(b!.args(), [42, 1234567890123, true, ['a', 'b'], { id: 7, name: 'n' }]);
        assert.equal(server.frames.length, statuses.length);
      } finally {
        client.close();
        await server.close();
      }
    });
  });
}

describe('dubbo codec with the hessian.js test provider', () => {
  let provider: DubboProvider;
  before(async () => {
    provider = await startDubboProvider({
      services: {
        [DEMO]: {
          sayHello: (args) => `hello ${String(args[0])}`,
          nothing: () => null,
          boom: () => {
            throw new Error('business failure');
          },
          crash: () => {
            throw new DubboStatusError(80, 'server exploded');
          },
          slow: async () => {
            await sleep(150);
            return 'late';
          },
        },
      },
    });
  });
  after(() => provider.close());

  test('answers a request the codec rewrote (new id, added attachment) and the response maps back', async () => {
    const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const capture = await startCodecServer(() => undefined);
    const client = dubboClient(capture.port);
    const conn = await rawConnection(provider.port);
    try {
      void client.service({ dubboInterface: DEMO, version: '1.0.0', methods: demoMethods }).sayHello!('weft');
      for (let i = 0; i < 200 && capture.frames.length === 0; i++) await sleep(5);
      const request = capture.frames[0]!;
      conn.socket.write(codec.rewriteRequest(request, { requestId: 2 ** 33 + 1, setHeaders: new Map([['x-colour', 'blue'], ['version', '1.0.0']]) }));
      const [response] = await conn.next(1);
      assert.deepEqual([response!.kind, response!.requestId, response!.status, response!.heartbeat], ['response', 2 ** 33 + 1, 'ok', false]);
      const call = provider.calls.at(-1)!;
      assert.equal(call.requestId, 2n ** 33n + 1n);
      assert.equal(call.method, 'sayHello');
      assert.deepEqual(call.args, ['weft']);
      assert.equal(call.attachments['x-colour'], 'blue');
      assert.equal(call.attachments['application'], 'dubbo2.js');
      const back = codec.rewriteResponse(response!, request.requestId);
      assert.equal(back.readBigUInt64BE(4), BigInt(request.requestId));
      const body = hessianDecoder(back.subarray(16));
      assert.deepEqual([body.readInt(), body.read()], [1, 'hello weft']);
    } finally {
      client.close();
      conn.socket.destroy();
      await capture.close();
    }
  });

  test('maps provider outcomes: value, null, business exception, status error, unknown service', async () => {
    const conn = await rawConnection(provider.port);
    try {
      const call = (method: string, id: number, service = DEMO): Buffer => dubboRequestFrame({ id, service, method, version: '1.0.0', args: [['Ljava/lang/String;', 'x']] });
      conn.socket.write(Buffer.concat([call('sayHello', 10), call('nothing', 11), call('boom', 12), call('crash', 13), call('sayHello', 14, 'com.x.Missing')]));
      const frames = (await conn.next(5)).sort((x, y) => x.requestId - y.requestId);
      assert.deepEqual(frames.map((f) => [f.requestId, f.status, (f as { statusCode?: number }).statusCode, (f as { responseType?: number }).responseType]), [
        [10, 'ok', 20, 1],
        [11, 'ok', 20, 2],
        [12, 'ok', 20, 0],
        [13, 'server_error', 80, -1],
        [14, 'client_error', 60, -1],
      ]);
    } finally {
      conn.socket.destroy();
    }
  });

  test('ignores a oneway call, answers heartbeats, and sends the read-only event', async () => {
    const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: MAX });
    const conn = await rawConnection(provider.port);
    try {
      const oneway = dubboRequestFrame({ id: 21, service: DEMO, method: 'sayHello', args: [['Ljava/lang/String;', 'one']], oneway: true });
      const before = provider.heartbeats;
      conn.socket.write(Buffer.concat([oneway, codec.encodeHeartbeat(22)!]));
      const [hb] = await conn.next(1);
      assert.deepEqual([hb!.kind, hb!.heartbeat, hb!.requestId, hb!.status], ['response', true, 22, 'ok']);
      assert.equal(provider.heartbeats, before + 1);
      assert.equal(provider.calls.at(-1)!.oneway, true);
      assert.equal(provider.calls.at(-1)!.requestId, 21n);
      provider.sendReadOnly();
      const [ro] = await conn.next(1);
      assert.deepEqual([ro!.kind, ro!.goAway, ro!.heartbeat, ro!.oneway], ['request', true, false, true]);
      assert.equal(conn.frames.length, 0);
    } finally {
      conn.socket.destroy();
    }
  });

  test('the client helper calls the provider, sees failures and its own timeout, and lets the process end', async () => {
    const client = dubboClient(provider.port, { timeoutSec: 0.1 });
    try {
      const svc = client.service({ dubboInterface: DEMO, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)], boom: () => [], crash: () => [], slow: () => [] } });
      assert.deepEqual(await svc.sayHello!('you'), { res: 'hello you', err: null });
      assert.match((await svc.boom!()).err?.message ?? '', /business failure/);
      assert.equal((await svc.crash!()).err?.message, '\x0fserver exploded');
      assert.equal((await svc.slow!()).err?.message, 'remote invoke timeout');
      provider.delayMs = 150;
      assert.equal((await svc.sayHello!('later')).err?.message, 'remote invoke timeout');
      provider.delayMs = 0;
    } finally {
      client.close();
      await sleep(200); // let the provider's slow call finish before the suite closes it
    }
  });
});
