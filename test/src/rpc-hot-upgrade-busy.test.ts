import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DetachedConnection } from '@weft/proxy/network/detached-connection';
import {
  createSofaConsumer, dubboClient, java, startDubboProvider, startProxyFromYaml, startSofaServer,
  type DubboProvider, type SofaServer, type TestProxy,
} from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { startCallLoops, type CallLoops } from './call-loops.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// Zero lost calls across a hot upgrade for busy connections: real clients keep 8 calls in flight on one connection
// (the upstream takes 20 ms per call) while OLD (this process) stops reading it, finishes its calls and hands the
// socket to NEW (a child process, over IPC). The calls the client sends meanwhile wait in the kernel for NEW.

const SOFA_SERVICE = 'com.weft.test.Busy';
const DUBBO_SERVICE = 'com.weft.test.BusyDubbo';
const IN_FLIGHT = 8;
const UPSTREAM_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function load(call: (n: number) => Promise<boolean>): CallLoops {
  return startCallLoops(IN_FLIGHT, call);
}

describe('busy RPC connections detached when idle and handed to a child process', () => {
  let sofa: SofaServer;
  let provider: DubboProvider;
  let old: TestProxy;
  let child: ChildProcess;
  let childAdmin = 0;

  before(async () => {
    sofa = await startSofaServer({
      interfaceName: SOFA_SERVICE,
      methods: {
        echo: async (s: unknown) => {
          await sleep(UPSTREAM_MS);
          return `echo ${String(s)}`;
        },
      },
    });
    provider = await startDubboProvider({ services: { [DUBBO_SERVICE]: { sayHello: (args) => `hello ${String(args[0])}` } } });
    provider.delayMs = UPSTREAM_MS;
    const yaml = bootstrap(
      rpcListener('bolt', 'stat_prefix: b\ncodecs: [bolt]\nroute_config: { routes: [{ match: {}, route: { cluster: sofa } }] }') +
        rpcListener('dubbo', 'stat_prefix: d\ncodecs: [dubbo]\nroute_config: { routes: [{ match: {}, route: { cluster: dubbo } }] }'),
      rpcCluster('sofa', [{ port: sofa.port }]) + rpcCluster('dubbo', [{ port: provider.port }]),
    );
    old = await startProxyFromYaml(yaml);
    child = fork(fileURLToPath(new URL('./hot-upgrade-child.js', import.meta.url)), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.send({ type: 'start', yaml });
    const [ready] = (await once(child, 'message')) as [{ adminPort: number }];
    childAdmin = ready.adminPort;
  });

  after(async () => {
    child.send({ type: 'stop' });
    await once(child, 'exit');
    await old.close();
    await sofa.close();
    await provider.close();
  });

  /** Detaches with the new method; returns whether the connection was still busy when it was called. */
  async function moveToChild(): Promise<{ busyAtCall: boolean; moved: number }> {
    const handed: Promise<unknown>[] = [];
    let moved = 0;
    const onDetached = (c: DetachedConnection): void => {
      moved++;
      handed.push(
        new Promise((resolve) => {
          child.once('message', resolve);
          child.send({ type: 'adopt', listenerName: c.listenerName, unread: c.unread.toString('base64') }, c.socket);
        }),
      );
    };
    const done = old.server.detachConnectionsForUpgrade(onDetached, { deadlineMs: 3000 });
    const busyAtCall = moved === 0;
    await done;
    await Promise.all(handed);
    return { busyAtCall, moved };
  }

  async function waitOk(l: CallLoops, atLeast: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (l.ok() < atLeast) {
      if (Date.now() > deadline) throw new Error(`only ${l.ok()} calls succeeded: ${l.describe()}`);
      await sleep(5);
    }
  }

  test('sofa-rpc-node with 8 calls in flight: no call fails, and calls go on on the same connection in the child', async () => {
    const consumer = await createSofaConsumer(old.port('bolt'), { interfaceName: SOFA_SERVICE });
    const l = load(async (n) => (await consumer.invoke('echo', [n], { responseTimeout: 3000 })) === `echo ${n}`);
    try {
      await waitOk(l, 3 * IN_FLIGHT);
      const { busyAtCall, moved } = await moveToChild();
      assert.equal(busyAtCall, true);
      assert.equal(moved, 1);
      const afterMove = l.ok();
      await waitOk(l, afterMove + 3 * IN_FLIGHT);
      const { ok, failed } = await l.stop();
      assert.equal(failed, 0, l.describe());
      const oldCalls = await adminStat(old.adminPort, 'rpc.b.request');
      const childCalls = await adminStat(childAdmin, 'rpc.b.request');
      assert.ok(childCalls >= 3 * IN_FLIGHT, `child served ${childCalls}`);
      assert.equal(oldCalls + childCalls, ok);
      // One connection all along: accepted by OLD, adopted by the child, never reopened.
      assert.equal(await adminStat(old.adminPort, 'rpc.b.downstream_cx_total'), 1);
      assert.equal(await adminStat(old.adminPort, `listener.127.0.0.1_${old.port('bolt')}.downstream_cx_detached`), 1);
      assert.equal(await adminStat(old.adminPort, 'rpc.b.downstream_cx_active'), 0);
      assert.equal(await adminStat(childAdmin, 'rpc.b.downstream_cx_total'), 1);
      assert.equal(await adminStat(childAdmin, 'rpc.b.downstream_cx_active'), 1);
    } finally {
      // The loops end before their client closes: on a closed client every call fails at once.
      await l.stop();
      await consumer.close();
    }
  });

  test('dubbo2.js with 8 calls in flight: no call fails, and calls go on on the same connection in the child', async () => {
    const client = dubboClient(old.port('dubbo'));
    const svc = client.service({ dubboInterface: DUBBO_SERVICE, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
    const sayHello = svc['sayHello'] as (n: string) => Promise<{ res: unknown; err: unknown }>;
    const l = load(async (n) => {
      const r = await sayHello(String(n));
      return r.err === null && r.res === `hello ${n}`;
    });
    try {
      await waitOk(l, 3 * IN_FLIGHT);
      const { busyAtCall, moved } = await moveToChild();
      assert.equal(busyAtCall, true);
      assert.equal(moved, 1);
      const afterMove = l.ok();
      await waitOk(l, afterMove + 3 * IN_FLIGHT);
      const { ok, failed } = await l.stop();
      assert.equal(failed, 0, l.describe());
      const oldCalls = await adminStat(old.adminPort, 'rpc.d.request');
      const childCalls = await adminStat(childAdmin, 'rpc.d.request');
      assert.ok(childCalls >= 3 * IN_FLIGHT, `child served ${childCalls}`);
      assert.equal(oldCalls + childCalls, ok);
      assert.equal(await adminStat(old.adminPort, 'rpc.d.downstream_cx_total'), 1);
      assert.equal(await adminStat(old.adminPort, `listener.127.0.0.1_${old.port('dubbo')}.downstream_cx_detached`), 1);
      assert.equal(await adminStat(childAdmin, 'rpc.d.downstream_cx_total'), 1);
    } finally {
      await l.stop();
      client.close();
    }
  });
});
