import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { peerDecode, peerHeartbeat, peerRequest, type PeerDecoded } from '@weft/proxy/codec/bolt/test-peer';
import type { DetachedConnection } from '@weft/proxy/network/detached-connection';
import { startProxyFromYaml, startSofaServer, type SofaServer, type TestProxy } from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// ProxyServer.detachConnectionsForUpgrade on raw Bolt connections, in one process (two proxies stand for OLD and
// NEW): what happens to a busy connection between the stop of reading and the hand-over.

const SERVICE = 'com.example.EchoService';
const SIG = `${SERVICE}:1.0`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

/**
 * Splits Bolt v1 frames: responses and heartbeat acks (20-byte header, class/header/content lengths at 12, 14, 16)
 * are decoded by the peer library; a request-type frame from the proxy (its GoAway) is only marked 'goaway'.
 */
function frames(bytes: Buffer): (PeerDecoded | 'goaway')[] {
  const out: (PeerDecoded | 'goaway')[] = [];
  let at = 0;
  while (bytes.length - at >= 22) {
    const response = bytes[at + 1] === 0;
    const o = response ? 12 : 14;
    const len = o + 8 + bytes.readUInt16BE(at + o) + bytes.readUInt16BE(at + o + 2) + bytes.readUInt32BE(at + o + 4);
    if (bytes.length - at < len) break;
    out.push(response ? peerDecode(bytes.subarray(at, at + len)) : 'goaway');
    at += len;
  }
  return out;
}

class Client {
  readonly socket: net.Socket;
  private readonly received: Buffer[] = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.received.push(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<Client> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return new Client(s);
  }

  get all(): (PeerDecoded | 'goaway')[] {
    return frames(Buffer.concat(this.received));
  }

  get frames(): PeerDecoded[] {
    return this.all.filter((f): f is PeerDecoded => f !== 'goaway');
  }

  get bytes(): number {
    return this.received.reduce((n, b) => n + b.length, 0);
  }

  call(id: number, method: string, args: unknown[], timeout = 3000): void {
    this.socket.write(peerRequest(id, {}, { serverSignature: SIG, methodName: method, args, timeout }));
  }
}

describe('busy RPC connections: detach when idle', () => {
  let sofa: SofaServer;
  let oldProxy: TestProxy;
  let newProxy: TestProxy;

  before(async () => {
    sofa = await startSofaServer({
      interfaceName: SERVICE,
      methods: {
        echo: (s: unknown) => `echo ${String(s)}`,
        slow: async (ms: unknown) => {
          await sleep(Number(ms));
          return `slow ${String(ms)}`;
        },
        big: async (n: unknown) => {
          await sleep(30);
          return 'x'.repeat(Number(n));
        },
      },
    });
    const yaml = bootstrap(
      rpcListener('bolt', 'stat_prefix: b\ncodecs: [bolt]\nmax_frame_bytes: 67108864\nroute_config: { routes: [{ match: {}, route: { cluster: sofa } }] }'),
      rpcCluster('sofa', [{ port: sofa.port }]),
    );
    oldProxy = await startProxyFromYaml(yaml, { drainTimeMs: 2000 });
    newProxy = await startProxyFromYaml(yaml);
  });

  after(async () => {
    await oldProxy.close();
    await newProxy.close();
    await sofa.close();
  });

  const oldStat = (name: string): Promise<number> => adminStat(oldProxy.adminPort, name);
  const newStat = (name: string): Promise<number> => adminStat(newProxy.adminPort, name);

  /** Starts the detach; NEW adopts each connection as OLD lets go of it. */
  function detach(deadlineMs = 3000): { done: Promise<void>; moved: DetachedConnection[] } {
    const moved: DetachedConnection[] = [];
    const done = oldProxy.server.detachConnectionsForUpgrade((c) => {
      moved.push(c);
      newProxy.server.adoptConnection(c);
    }, { deadlineMs });
    return { done, moved };
  }

  test('the call in flight is answered by OLD; a request sent after the stop waits in the kernel and NEW answers it', async () => {
    const oldBefore = await oldStat('rpc.b.request');
    const newBefore = await newStat('rpc.b.request');
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(1, 'slow', [80]);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const { done, moved } = detach();
    assert.equal(moved.length, 0, 'busy: not detached at once');
    c.call(2, 'echo', ['after stop']);
    await sleep(20);
    assert.equal(moved.length, 0, 'still busy');
    await done;
    assert.equal(moved.length, 1);
    await waitFor(() => c.frames.length === 2);
    assert.deepEqual(c.frames.map((f) => [f.packetId, f.data?.appResponse]), [[1, 'slow 80'], [2, 'echo after stop']]);
    assert.equal(await oldStat('rpc.b.request'), oldBefore + 1);
    assert.equal(await newStat('rpc.b.request'), newBefore + 1);
    assert.equal(c.closed, false);
    c.socket.destroy();
  });

  test('a heartbeat read before the stop is answered by OLD; the connection moves once the call is answered', async () => {
    const hbBefore = await oldStat('rpc.b.request_heartbeat');
    const c = await Client.open(oldProxy.port('bolt'));
    c.socket.write(Buffer.concat([peerHeartbeat(7), peerRequest(8, {}, { serverSignature: SIG, methodName: 'slow', args: [50] })]));
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const { done, moved } = detach();
    await done;
    assert.equal(moved.length, 1);
    await waitFor(() => c.frames.length === 2);
    assert.deepEqual(c.frames.map((f) => [f.packetId, f.packetType]), [[7, 'heartbeat_ack'], [8, 'response']]);
    assert.equal(await oldStat('rpc.b.request_heartbeat'), hbBefore + 1);
    c.call(9, 'echo', ['in NEW']);
    await waitFor(() => c.frames.length === 3);
    assert.equal(c.frames[2]?.data?.appResponse, 'echo in NEW');
    c.socket.destroy();
  });

  test('a call that times out in OLD gets its timeout error, then the connection moves', async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(11, 'slow', [400], 60);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const started = Date.now();
    const { done, moved } = detach();
    await done;
    assert.ok(Date.now() - started < 350, `moved after ${Date.now() - started} ms`);
    assert.equal(moved.length, 1);
    await waitFor(() => c.frames.length === 1);
    const [res] = c.frames;
    assert.equal(res?.packetId, 11);
    assert.match(String(res?.data?.error?.message), /timeout/i);
    c.call(12, 'echo', ['after timeout']);
    await waitFor(() => c.frames.length === 2);
    assert.equal(c.frames[1]?.data?.appResponse, 'echo after timeout');
    c.socket.destroy();
  });

  test("a client FIN sent while OLD waits stays in the kernel: OLD answers and moves, NEW sees the FIN and closes", async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(21, 'slow', [60]);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const { done, moved } = detach();
    c.call(22, 'echo', ['last']);
    c.socket.end();
    await done;
    assert.equal(moved.length, 1);
    await waitFor(() => c.closed);
    assert.deepEqual(c.frames.map((f) => [f.packetId, f.data?.appResponse]), [[21, 'slow 60'], [22, 'echo last']]);
  });

  test('a client FIN OLD already read: the connection cannot move; its call is answered and it closes in OLD', async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(31, 'slow', [60]);
    c.socket.end();
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    await sleep(20); // the FIN is read
    const { done, moved } = detach();
    await done;
    assert.equal(moved.length, 0);
    await waitFor(() => c.closed);
    assert.deepEqual(c.frames.map((f) => [f.packetId, f.data?.appResponse]), [[31, 'slow 60']]);
  });

  test('write backpressure: OLD lets go only once a large response is flushed to the slow reader', async () => {
    const size = 12 * 1024 * 1024;
    const c = await Client.open(oldProxy.port('bolt'));
    c.socket.pause();
    c.call(41, 'big', [size]);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const { done, moved } = detach();
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 0);
    await sleep(50);
    assert.equal(moved.length, 0, 'the response is still in OLD\'s socket buffer');
    c.socket.resume();
    await done;
    assert.equal(moved.length, 1);
    await waitFor(() => c.bytes > size);
    const total = c.bytes;
    c.call(42, 'echo', ['small']);
    await waitFor(() => c.bytes > total);
    await sleep(20);
    const [first, second] = c.frames; // decoded once: the peer library is slow on 12 MB
    assert.equal((first?.data?.appResponse as string).length, size);
    assert.equal(second?.data?.appResponse, 'echo small');
    c.socket.destroy();
  });

  test('past the deadline the connection stays in OLD: it reads again, serves what waited, then drains', async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(51, 'slow', [250]);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const goaways = await oldStat('rpc.b.downstream_goaway_sent');
    const started = Date.now();
    const { done, moved } = detach(60);
    c.call(52, 'echo', ['waited']);
    await done;
    assert.ok(Date.now() - started < 200);
    assert.equal(moved.length, 0);
    await waitFor(() => c.closed);
    // Served in OLD; Bolt's GoAway goes out only once idle, right before the close.
    assert.deepEqual(c.all.map((f) => (f === 'goaway' ? f : [f.packetId, f.data?.appResponse])), [[52, 'echo waited'], [51, 'slow 250'], 'goaway']);
    assert.equal(await oldStat('rpc.b.downstream_goaway_sent'), goaways + 1);
  });

  test('past the deadline, reading paused for a slow reader that caught up meanwhile resumes: what waited is served', async (t) => {
    const size = 12 * 1024 * 1024;
    const c = await Client.open(oldProxy.port('bolt'));
    try {
      c.socket.pause();
      c.call(81, 'big', [size]);
      await waitFor(async () => (await oldStat('rpc.b.request_active')) === 0);
      const paused = await oldStat('rpc.b.downstream_flow_control_paused_reading_total');
      // One read: the slow call starts, then the heartbeat's ack finds the socket buffer over its limit: reading pauses.
      c.socket.write(Buffer.concat([peerRequest(82, {}, { serverSignature: SIG, methodName: 'slow', args: [1000] }), peerHeartbeat(83)]));
      await waitFor(async () => (await oldStat('rpc.b.downstream_flow_control_paused_reading_total')) === paused + 1);
      const started = Date.now();
      const { done, moved } = detach(600);
      // The reader catches up ('drain' in OLD, while the detach is pending), then sends a call that waits in the kernel.
      c.socket.resume();
      await waitFor(() => c.bytes > size);
      const caughtUpMs = Date.now() - started;
      c.call(84, 'echo', ['waited']);
      await done;
      assert.equal(moved.length, 0, 'the slow call kept it in OLD past the deadline');
      // Later (a very loaded machine) the pause was still real at the deadline: the outcome is the same, less tested.
      if (caughtUpMs >= 600) t.diagnostic(`the reader caught up only after the deadline (${caughtUpMs} ms)`);
      await waitFor(() => c.closed, 5000);
      const got = c.all.slice(1).map((f) => (f === 'goaway' ? f : [f.packetId, f.packetType, f.data?.appResponse]));
      assert.deepEqual(got, [[83, 'heartbeat_ack', undefined], [84, 'response', 'echo waited'], [82, 'response', 'slow 1000'], 'goaway']);
    } finally {
      c.socket.destroy();
    }
  });

  test('an idle connection is handed over synchronously and the promise resolves at once', async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(61, 'echo', ['idle']);
    await waitFor(() => c.frames.length === 1);
    const { done, moved } = detach();
    assert.equal(moved.length, 1);
    await done;
    c.call(62, 'echo', ['moved']);
    await waitFor(() => c.frames.length === 2);
    assert.equal(c.frames[1]?.data?.appResponse, 'echo moved');
    c.socket.destroy();
  });

  // Last: it drains OLD's listeners.
  test('a drain requested while a detach is pending does not close the connection: it still moves', async () => {
    const c = await Client.open(oldProxy.port('bolt'));
    c.call(71, 'slow', [60]);
    await waitFor(async () => (await oldStat('rpc.b.request_active')) === 1);
    const goaways = await oldStat('rpc.b.downstream_goaway_sent');
    const { done, moved } = detach();
    void oldProxy.server.drainListeners({ inboundOnly: false, graceful: true });
    await done;
    assert.equal(moved.length, 1);
    c.call(72, 'echo', ['after drain']);
    await waitFor(() => c.frames.length === 2);
    assert.deepEqual(c.frames.map((f) => [f.packetId, f.data?.appResponse]), [[71, 'slow 60'], [72, 'echo after drain']]);
    assert.equal(await oldStat('rpc.b.downstream_goaway_sent'), goaways);
    assert.equal(c.closed, false);
    c.socket.destroy();
  });
});
