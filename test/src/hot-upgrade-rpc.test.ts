import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { peerDecode, peerRequest } from '@weft/proxy/codec/bolt/test-peer';
import {
  createSofaConsumer, dubboClient, java, startDubboProvider, startSofaServer,
  type DubboProvider, type SofaServer,
} from '@weft/testing';
import { sleep, waitForExit, WeftProcess } from './hot-upgrade-harness.js';
import { rpcCluster, RPC_TYPE } from './rpc-yaml.js';
import { startCallLoops, type CallLoops } from './call-loops.js';

// Issue 6: RPC connections kept by real clients across hot upgrades of real `weft proxy` processes (admin POST
// /hot_upgrade). Busy connections stop reading in OLD, finish their calls and move to NEW with their unread bytes.

const SOFA_SERVICE = 'com.weft.test.UpgradeBolt';
const DUBBO_SERVICE = 'com.weft.test.UpgradeDubbo';
const IN_FLIGHT = 8;
const UPSTREAM_MS = 5;
// OLD exits as soon as the connection moved, so the drain time costs nothing when all goes well; it bounds how long
// OLD waits for calls in flight to a slow upstream (on a loaded machine this upstream, in the test process, can stall
// for a second), and half of it how long the connection waits to move before it is drained in OLD instead.
const DRAIN_TIME_S = 5;
// Client timeouts above such stalls: a call that timed out is a failed call.
const CALL_TIMEOUT_MS = 5000;

/** One rpc_proxy listener (stat_prefix `r`) on `port` routing every call to cluster `up`; admin on `adminPort`. */
function rpcBootstrap(codec: 'bolt' | 'dubbo', upstreamPort: number): (port: number, adminPort: number) => string {
  return (port, adminPort) => `node: { id: rpc-upgrade, cluster: test }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }
static_resources:
  listeners:
  - name: rpc
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: weft.filters.network.rpc_proxy
        typed_config:
          "@type": ${RPC_TYPE}
          stat_prefix: r
          codecs: [${codec}]
          route_config: { routes: [{ match: {}, route: { cluster: up } }] }
  clusters:${rpcCluster('up', [{ port: upstreamPort }])}
`;
}

function load(call: (n: number) => Promise<boolean>): CallLoops {
  // A call still unanswered after the client's own timeout is lost, not slow.
  return startCallLoops(IN_FLIGHT, call, { stuckMs: CALL_TIMEOUT_MS + 1000 });
}

async function waitOk(l: CallLoops, atLeast: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (l.ok() < atLeast) {
    if (Date.now() > deadline) throw new Error(`only ${l.ok()} calls succeeded (wanted ${atLeast}): ${l.describe()}`);
    await sleep(5);
  }
}

/** A failed run says which calls were outstanding, which processes ran and what they logged, not only what failed. */
function withState(err: unknown, proxy: WeftProcess, l: CallLoops | undefined): Error {
  const message = err instanceof Error ? err.message : String(err);
  const pids = [...proxy.pids].join(', ');
  return new Error(`${message}\ncalls: ${l?.describe() ?? 'not started'}\nprocesses: ${pids}\nproxy log (end):\n${proxy.output.slice(-4000)}`, { cause: err });
}

/**
 * `upgrades` hot upgrades of `proxy` under `l`'s load: each one is accepted, its OLD exits, and NEW serves calls on
 * the client's connection (adopted, not accepted anew). Returns the pids of the processes that exited.
 */
async function upgradeUnderLoad(proxy: WeftProcess, l: CallLoops, upgrades: number): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < upgrades; i++) {
    const { status, report } = await proxy.upgrade();
    assert.equal(status, 200, `upgrade ${i + 1}: ${JSON.stringify(report)}`);
    assert.ok(report.new_pid !== undefined && report.new_pid !== report.old_pid);
    pids.push(report.old_pid);
    // OLD moves the busy connection once its calls finish, then has nothing left to drain.
    assert.equal(await waitForExit(report.old_pid, DRAIN_TIME_S * 1000 + 2000), true, `upgrade ${i + 1}: old process ${report.old_pid} exited`);
    // Counters carry over from process to process: one more adoption per upgrade, the one connection still active.
    const listener = `listener.127.0.0.1_${proxy.port}`;
    assert.equal(await proxy.stat(`${listener}.downstream_cx_adopted`), i + 1, `upgrade ${i + 1}: NEW adopted the client's connection`);
    assert.equal(await proxy.stat(`${listener}.downstream_cx_detached`), i + 1);
    assert.equal(await proxy.stat(`${listener}.downstream_cx_active`), 1);
    await waitOk(l, l.ok() + 2 * IN_FLIGHT);
  }
  return pids;
}

describe('hot upgrade of a weft proxy serving RPC clients (real processes)', () => {
  let sofa: SofaServer;
  let provider: DubboProvider;

  before(async () => {
    sofa = await startSofaServer({
      interfaceName: SOFA_SERVICE,
      methods: {
        echo: async (s: unknown) => {
          await sleep(UPSTREAM_MS);
          return `echo ${String(s)}`;
        },
        slow: async (ms: unknown) => {
          await sleep(Number(ms));
          return `slow ${String(ms)}`;
        },
      },
    });
    provider = await startDubboProvider({ services: { [DUBBO_SERVICE]: { sayHello: (args) => `hello ${String(args[0])}` } } });
    provider.delayMs = UPSTREAM_MS;
  });

  after(async () => {
    await sofa.close();
    await provider.close();
  });

  async function sofaRun(upgrades: number): Promise<void> {
    const proxy = await WeftProcess.start({ upstreamPort: 0, drainTimeS: DRAIN_TIME_S, bootstrap: rpcBootstrap('bolt', sofa.port) });
    const consumer = await createSofaConsumer(proxy.port, { interfaceName: SOFA_SERVICE });
    let l: CallLoops | undefined;
    try {
      l = load(async (n) => (await consumer.invoke('echo', [n], { responseTimeout: CALL_TIMEOUT_MS })) === `echo ${n}`);
      await waitOk(l, 3 * IN_FLIGHT);
      const pids = await upgradeUnderLoad(proxy, l, upgrades);
      const { ok, failed } = await l.stop();
      assert.equal(failed, 0, l.describe());
      assert.equal(new Set(pids).size, upgrades);
      // Counters carry over: the last process reports every call of the run, all on the one client connection.
      assert.equal(await proxy.stat('rpc.r.request'), ok);
      assert.equal(await proxy.stat('rpc.r.downstream_cx_active'), 1);
      // Never reconnected: one accept by the first process, then one adoption (counted as an accept) per upgrade.
      assert.equal(await proxy.stat(`listener.127.0.0.1_${proxy.port}.downstream_cx_total`), upgrades + 1);
      assert.equal(await consumer.invoke('echo', ['last'], { responseTimeout: CALL_TIMEOUT_MS }), 'echo last');
    } catch (err) {
      throw withState(err, proxy, l);
    } finally {
      // The loops end before their client closes: on a closed client every call fails at once.
      await l?.stop();
      await consumer.close();
      await proxy.close();
    }
  }

  test('sofa-rpc-node, 8 calls in flight: one upgrade, no failed call, NEW serves the same connection', () => sofaRun(1));

  test('sofa-rpc-node, 8 calls in flight: ten upgrades in a row, no failed call', () => sofaRun(10));

  async function dubboRun(upgrades: number): Promise<void> {
    const proxy = await WeftProcess.start({ upstreamPort: 0, drainTimeS: DRAIN_TIME_S, bootstrap: rpcBootstrap('dubbo', provider.port) });
    const client = dubboClient(proxy.port, { timeoutSec: CALL_TIMEOUT_MS / 1000 });
    let l: CallLoops | undefined;
    try {
      const svc = client.service({ dubboInterface: DUBBO_SERVICE, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
      const sayHello = svc['sayHello'] as (n: string) => Promise<{ res: unknown; err: unknown }>;
      l = load(async (n) => {
        const r = await sayHello(String(n));
        return r.err === null && r.res === `hello ${n}`;
      });
      await waitOk(l, 3 * IN_FLIGHT);
      const pids = await upgradeUnderLoad(proxy, l, upgrades);
      const { ok, failed } = await l.stop();
      assert.equal(failed, 0, l.describe());
      assert.equal(new Set(pids).size, upgrades);
      assert.equal(await proxy.stat('rpc.r.request'), ok);
      assert.equal(await proxy.stat(`listener.127.0.0.1_${proxy.port}.downstream_cx_total`), upgrades + 1);
    } catch (err) {
      throw withState(err, proxy, l);
    } finally {
      await l?.stop();
      client.close();
      await proxy.close();
    }
  }

  test('dubbo2.js, 8 calls in flight: one upgrade, no failed call, NEW serves the same connection', () => dubboRun(1));

  test('dubbo2.js, 8 calls in flight: three upgrades in a row, no failed call', () => dubboRun(3));

  test('NEW upgraded again while OLD still finishes a call on the connection it moves: the connection moves twice', async () => {
    const proxy = await WeftProcess.start({ upstreamPort: 0, drainTimeS: DRAIN_TIME_S, bootstrap: rpcBootstrap('bolt', sofa.port) });
    const consumer = await createSofaConsumer(proxy.port, { interfaceName: SOFA_SERVICE });
    try {
      assert.equal(await consumer.invoke('echo', ['first'], { responseTimeout: CALL_TIMEOUT_MS }), 'echo first');
      const slow = consumer.invoke('slow', [1500], { responseTimeout: CALL_TIMEOUT_MS });
      const deadline = Date.now() + 3000;
      while ((await proxy.stat('rpc.r.request_active')) !== 1 && Date.now() < deadline) await sleep(10);
      const first = await proxy.upgrade();
      assert.equal(first.status, 200, JSON.stringify(first.report));
      // NEW holds this one until OLD sent the connection (after the slow call), so it is not sent to a process
      // that already handed over and exited.
      const second = await proxy.upgrade();
      assert.equal(second.status, 200, JSON.stringify(second.report));
      assert.equal(second.report.old_pid, first.report.new_pid);
      assert.equal(await slow, 'slow 1500');
      for (const pid of [first.report.old_pid, second.report.old_pid]) assert.equal(await waitForExit(pid, DRAIN_TIME_S * 1000 + 2000), true, `${pid} exited`);
      assert.equal(await consumer.invoke('echo', ['last'], { responseTimeout: CALL_TIMEOUT_MS }), 'echo last');
      const listener = `listener.127.0.0.1_${proxy.port}`;
      assert.equal(await proxy.stat(`${listener}.downstream_cx_adopted`), 2);
      // Never reconnected: one accept, two adoptions.
      assert.equal(await proxy.stat(`${listener}.downstream_cx_total`), 3);
      assert.equal(await proxy.stat(`${listener}.downstream_cx_active`), 1);
    } catch (err) {
      throw withState(err, proxy, undefined);
    } finally {
      await consumer.close();
      await proxy.close();
    }
  });

  test('a raw Bolt request split across a real upgrade is answered by NEW with its request id', async () => {
    const proxy = await WeftProcess.start({ upstreamPort: 0, drainTimeS: 1, bootstrap: rpcBootstrap('bolt', sofa.port) });
    const socket = net.connect(proxy.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const frame = peerRequest(4242, {}, { serverSignature: `${SOFA_SERVICE}:1.0`, methodName: 'echo', args: ['split'] });
      const half = Math.floor(frame.length / 2);
      socket.write(frame.subarray(0, half));
      await sleep(50);
      const { status, report } = await proxy.upgrade();
      assert.equal(status, 200, JSON.stringify(report));
      assert.equal(await waitForExit(report.old_pid, 3000), true, 'the old process exited');
      assert.equal(await proxy.stat(`listener.127.0.0.1_${proxy.port}.downstream_cx_adopted`), 1);
      assert.equal(received.length, 0);
      socket.write(frame.subarray(half));
      const deadline = Date.now() + 3000;
      while (received.length === 0 && Date.now() < deadline) await sleep(10);
      const res = peerDecode(Buffer.concat(received));
      assert.equal(res.packetType, 'response');
      assert.equal(res.packetId, 4242);
      assert.equal(res.data?.appResponse, 'echo split');
      assert.equal(await proxy.stat('rpc.r.request'), 1);
      assert.equal(socket.destroyed, false);
    } finally {
      socket.destroy();
      await proxy.close();
    }
  });
});
