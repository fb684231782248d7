/**
 * The Bolt codec against the real SOFARPC peers over loopback sockets: frames a real sofa-rpc-node client sends,
 * frames the codec writes or rewrites answered by a real RpcServer, and the codec's local replies, heartbeats and
 * GoAway as the real client sees them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { boltCodec, type BoltFrame } from '@weft/proxy/codec/bolt/index';
import { peerDecode, peerHeartbeat, peerRequest, peerResponse, type PeerOptions } from '@weft/proxy/codec/bolt/test-peer';
import type { RpcFrame, RpcLocalStatus } from '@weft/proxy/interfaces/rpc-codec';
import { SOFA_TEST_INTERFACE, createSofaConsumer, startBoltRecorder, startSofaServer } from '@weft/testing';

const SERVICE_ID = `${SOFA_TEST_INTERFACE}:1.0`;

function newCodec() {
  return boltCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 });
}

function decodeAll(bytes: Buffer): BoltFrame[] {
  const out: RpcFrame[] = [];
  newCodec().decode(bytes, out);
  return out as BoltFrame[];
}

/** A raw connection that collects the frames a server sends back. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const codec = newCodec();
  const frames: BoltFrame[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    const out: RpcFrame[] = [];
    codec.decode(chunk, out);
    frames.push(...(out as BoltFrame[]));
    waiter?.();
  });
  return {
    socket,
    codec,
    frames,
    async waitFor(n: number): Promise<BoltFrame[]> {
      while (frames.length < n) await new Promise<void>((r) => (waiter = r));
      return frames;
    },
    close(): void {
      socket.destroy();
    },
  };
}

function must(b: Buffer | undefined): Buffer {
  assert.ok(b);
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bolt codec with a real sofa-rpc-node client', () => {
  it('decodes what the client sends: service, version, method, args, timeout, ids on one connection', async () => {
    const rec = await startBoltRecorder((f) => (f.kind === 'request' && !f.heartbeat ? peerResponse(f.requestId, {}, { appResponse: `r${f.requestId}` }) : undefined));
    const client = await createSofaConsumer(rec.port);
    try {
      const results = await Promise.all([
        client.invoke('echo', ['hello', 42], { responseTimeout: 1500 }),
        client.invoke('add', [1, 2.5, [3, 4], { k: 'v' }], { responseTimeout: 1500 }),
        client.invoke('none', [], { responseTimeout: 1500 }),
      ]);
      assert.equal(rec.received.length, 1, 'concurrent calls share one connection');
      const frames = decodeAll(rec.bytes());
      assert.equal(frames.length, 3);
      assert.deepEqual(results, frames.map((f) => `r${f.requestId}`));
      assert.equal(new Set(frames.map((f) => f.requestId)).size, 3);
      const byMethod = new Map(frames.map((f) => [f.method, f]));
      const echo = byMethod.get('echo');
      assert.ok(echo);
      assert.deepEqual(
        [echo.kind, echo.oneway, echo.heartbeat, echo.service, echo.version, echo.group, echo.requestTimeoutMs, echo.layout.v2, echo.codec],
        ['request', false, false, SOFA_TEST_INTERFACE, '1.0', '', 1500, false, 1],
      );
      assert.deepEqual([...echo.headers], [['service', SERVICE_ID]]);
      assert.deepEqual(echo.args(), ['hello', 42]);
      assert.deepEqual(byMethod.get('add')?.args(), [1, 2.5, [3, 4], { k: 'v' }]);
      assert.deepEqual(byMethod.get('none')?.args(), []);
      assert.equal(rec.bytes().subarray(0, 5).toString('hex'), '0101000101');
      assert.equal(boltCodec.match(rec.bytes()), 'yes');
    } finally {
      await client.close();
      await rec.close();
    }
  });

  for (const bolt of ['v2', 'v2-crc'] as const) {
    it(`decodes ${bolt} frames from the client and it reads the codec's ${bolt} replies`, async () => {
      const codec = newCodec();
      const server = await startSofaServer({ methods: { echo: (a: unknown) => a } });
      const rec = await startBoltRecorder((f) => (f.args()[0] === 'local' ? codec.encodeLocalReply(f, 'no_route', 'weft: no route') : undefined));
      const direct = await createSofaConsumer(server.port, { bolt });
      const viaRecorder = await createSofaConsumer(rec.port, { bolt });
      try {
        assert.equal(await direct.invoke('echo', ['v2 ok']), 'v2 ok');
        await assert.rejects(viaRecorder.invoke('echo', ['local']), { message: 'com.alipay.remoting.rpc.exception.RpcServerException: weft: no route' });
        const [f] = decodeAll(rec.bytes());
        assert.ok(f);
        assert.deepEqual([f.layout.v2, f.crc, f.bytes[1], f.method, f.service], [true, bolt === 'v2-crc', bolt === 'v2-crc' ? 2 : 1, 'echo', SOFA_TEST_INTERFACE]);
      } finally {
        await direct.close();
        await viaRecorder.close();
        await server.close();
        await rec.close();
      }
    });
  }

  it('shows each local reply as an RpcServerException with the message', async () => {
    const statuses: RpcLocalStatus[] = ['no_route', 'no_healthy_upstream', 'upstream_unavailable', 'timeout', 'overflow', 'rate_limited', 'fault_abort', 'bad_request'];
    const codec = newCodec();
    const rec = await startBoltRecorder((f) => codec.encodeLocalReply(f, f.args()[0] as RpcLocalStatus, `weft: ${String(f.args()[0])} for ${f.service}#${f.method}`));
    const client = await createSofaConsumer(rec.port);
    try {
      for (const s of statuses) {
        await assert.rejects(client.invoke('echo', [s]), (e: Error) => {
          assert.equal(e.message, `com.alipay.remoting.rpc.exception.RpcServerException: weft: ${s} for ${SOFA_TEST_INTERFACE}#echo`);
          return true;
        });
      }
      assert.equal(rec.received.length, 1, 'a local reply keeps the connection');
    } finally {
      await client.close();
      await rec.close();
    }
  });

  it('drops its connection on a GoAway (sofa-rpc-node knows no cmdcode 100) and reconnects for the next call', async () => {
    const codec = newCodec();
    let n = 0;
    const rec = await startBoltRecorder((f) => (++n === 1 ? Buffer.concat([peerResponse(f.requestId), must(codec.encodeGoAway())]) : peerResponse(f.requestId)));
    const client = await createSofaConsumer(rec.port);
    try {
      assert.equal(await client.invoke('echo', ['a']), 'ok');
      await sleep(50);
      assert.equal(await client.invoke('echo', ['b']), 'ok');
      assert.equal(rec.received.length, 2);
    } finally {
      await client.close();
      await rec.close();
    }
  });
});

describe('bolt codec with a real sofa-rpc-node RpcServer', () => {
  const dialects: [string, PeerOptions][] = [['v1', {}], ['v2', { protocolType: 'bolt2', boltVersion: 1 }], ['v2 with CRC', { protocolType: 'bolt2', boltVersion: 2, crcEnable: true }]];
  for (const [name, o] of dialects) {
    it(`answers ${name} requests whose id and header map the codec rewrote`, async () => {
      const server = await startSofaServer({ methods: { echo: (a: unknown, b: unknown) => `${String(a)}-${String(b)}` } });
      const conn = await rawConnection(server.port);
      try {
        const down = newCodec();
        const req = decodeAll(peerRequest(900, o, { serverSignature: SERVICE_ID, args: ['x', 1] }))[0] as BoltFrame;
        const plain = down.rewriteRequest(req, { requestId: 5 });
        const coloured = down.rewriteRequest(req, { requestId: 6, setHeaders: new Map([['x-weft-color', 'blue'], ['rpc_trace_context.sofaCallerApp', 'weft']]) });
        conn.socket.write(Buffer.concat([plain, coloured]));
        const [r1, r2] = await conn.waitFor(2);
        assert.ok(r1 && r2);
        assert.deepEqual([r1.requestId, r1.status, r1.crc], [5, 'ok', o.crcEnable === true]);
        assert.deepEqual([r2.requestId, r2.status], [6, 'ok']);
        assert.equal(peerDecode(r2.bytes).data?.appResponse, 'x-1');
        const back = conn.codec.rewriteResponse(r2, 900);
        assert.deepEqual([peerDecode(back).packetId, peerDecode(back).data?.appResponse], [900, 'x-1']);
        assert.deepEqual(server.calls.map((c) => c.args), [['x', 1], ['x', 1]]);
        assert.deepEqual([...decodeAll(coloured)[0]!.headers], [['service', SERVICE_ID], ['x-weft-color', 'blue'], ['rpc_trace_context.sofaCallerApp', 'weft']]);
        assert.deepEqual(server.frames.map((f) => [f.requestId, f.headers.get('x-weft-color'), f.application]), [[5, undefined, ''], [6, 'blue', 'weft']]);
      } finally {
        conn.close();
        await server.close();
      }
    });
  }

  it('runs a oneway request without answering, and acks heartbeats from sofa-bolt-node and from the codec', async () => {
    const server = await startSofaServer({ methods: { log: () => undefined, echo: (a: unknown) => a } });
    const conn = await rawConnection(server.port);
    try {
      conn.socket.write(peerRequest(1, {}, { serverSignature: SERVICE_ID, methodName: 'log', args: ['fire'], oneway: true }));
      conn.socket.write(peerHeartbeat(2));
      conn.socket.write(must(conn.codec.encodeHeartbeat(3)));
      conn.socket.write(peerRequest(4, {}, { serverSignature: SERVICE_ID, args: ['after'] }));
      const frames = await conn.waitFor(3);
      await sleep(30);
      assert.deepEqual(frames.map((f) => [f.requestId, f.kind, f.heartbeat, f.status]), [[2, 'response', true, 'ok'], [3, 'response', true, 'ok'], [4, 'response', false, 'ok']]);
      assert.deepEqual(server.calls.map((c) => [c.method, c.args]), [['log', ['fire']], ['echo', ['after']]]);
      assert.equal(server.heartbeats, 2);
    } finally {
      conn.close();
      await server.close();
    }
  });

  it('reports an unknown method as the server error sofa-rpc-node sends', async () => {
    const server = await startSofaServer({ methods: { echo: (a: unknown) => a } });
    const conn = await rawConnection(server.port);
    try {
      conn.socket.write(peerRequest(8, {}, { serverSignature: SERVICE_ID, methodName: 'missing', args: [] }));
      const [r] = await conn.waitFor(1);
      assert.deepEqual([r?.requestId, r?.status, r?.boltStatus], [8, 'server_error', 2]);
    } finally {
      conn.close();
      await server.close();
    }
  });
});

describe('sofa test peers', () => {
  it('a real consumer calls the real loopback server', async () => {
    const server = await startSofaServer({ methods: { echo: (a: unknown) => a, fail: () => { throw new Error('nope'); } } });
    const client = await createSofaConsumer(server.port);
    try {
      assert.equal(await client.invoke('echo', ['hi']), 'hi');
      await assert.rejects(client.invoke('fail', []), /nope/);
      assert.deepEqual(server.calls.map((c) => c.method), ['echo', 'fail']);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
