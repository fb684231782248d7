import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSofaConsumer, createThriftClient, dubboClient, java, startDubboProvider, startProxyFromYaml, startSofaServer, startThriftServer,
  type TestProxy,
} from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// Graceful close of RPC connections on drain, with the real clients: calls in flight finish, the protocol's
// graceful-close frame goes out only when the client copes with it, and the client reconnects for new calls.

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function proxyFor(codec: string, prefix: string, port: number): Promise<TestProxy> {
  return startProxyFromYaml(
    bootstrap(
      rpcListener('rpc', `stat_prefix: ${prefix}\ncodecs: [${codec}]\nroute_config: { routes: [{ match: {}, route: { cluster: up } }] }`),
      rpcCluster('up', [{ port }]),
    ),
    { drainTimeMs: 3000 },
  );
}

function drain(proxy: TestProxy): void {
  void proxy.server.drainListeners({ inboundOnly: false, graceful: true });
}

const stat = (proxy: TestProxy, name: string): Promise<number> => adminStat(proxy.adminPort, name);

describe('RPC drain with real clients', () => {
  test('sofa-rpc-node: no GoAway while a call is in flight; the call completes, then GoAway and close; the client reconnects', async () => {
    const sofa = await startSofaServer({
      interfaceName: 'com.weft.test.Drain',
      methods: {
        hi: (n: unknown) => `hi ${String(n)}`,
        slow: async (ms: unknown) => {
          await sleep(Number(ms));
          return 'slow done';
        },
      },
    });
    const proxy = await proxyFor('bolt', 'bd', sofa.port);
    const consumer = await createSofaConsumer(proxy.port('rpc'), { interfaceName: 'com.weft.test.Drain' });
    assert.equal(await consumer.invoke('hi', [1]), 'hi 1');
    const call = consumer.invoke('slow', [200]);
    await waitFor(async () => (await stat(proxy, 'rpc.bd.request_active')) === 1);
    drain(proxy);
    await sleep(50);
    assert.equal(await stat(proxy, 'rpc.bd.downstream_goaway_sent'), 0);
    assert.equal(await call, 'slow done');
    await waitFor(async () => (await stat(proxy, 'rpc.bd.downstream_cx_drain_close')) === 1);
    assert.equal(await stat(proxy, 'rpc.bd.downstream_goaway_sent'), 1);
    // A new call goes out on a new connection (the listener still accepts during the drain period).
    await waitFor(async () => (await stat(proxy, 'rpc.bd.downstream_cx_active')) === 0);
    assert.equal(await consumer.invoke('hi', [2]), 'hi 2');
    assert.equal(await stat(proxy, 'rpc.bd.downstream_cx_total'), 2);
    await consumer.close();
    await proxy.close();
    await sofa.close();
  });

  for (const lib of ['dubbo2.js', 'apache-dubbo-js'] as const) {
    test(`${lib}: the read-only event goes out at once, is ignored by the client, and calls in flight complete`, async () => {
      const provider = await startDubboProvider({ services: { 'com.weft.test.Drain': { sayHello: (args) => `hello ${String(args[0])}` } } });
      const proxy = await proxyFor('dubbo', 'dd', provider.port);
      const client = dubboClient(proxy.port('rpc'), { lib });
      const svc = client.service({ dubboInterface: 'com.weft.test.Drain', version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
      assert.deepEqual(await svc['sayHello']?.('a'), { res: 'hello a', err: null });
      provider.delayMs = 200;
      const calls = ['b', 'c'].map((n) => svc['sayHello']?.(n));
      await waitFor(async () => (await stat(proxy, 'rpc.dd.request_active')) === 2);
      // The drain closes the connection: the client must not come back in 3 s and hold the test process.
      client.noReconnect();
      drain(proxy);
      await waitFor(async () => (await stat(proxy, 'rpc.dd.downstream_goaway_sent')) === 1);
      assert.equal(await stat(proxy, 'rpc.dd.downstream_cx_drain_close'), 0);
      assert.deepEqual(await Promise.all(calls), [
        { res: 'hello b', err: null },
        { res: 'hello c', err: null },
      ]);
      await waitFor(async () => (await stat(proxy, 'rpc.dd.downstream_cx_drain_close')) === 1);
      client.close();
      await proxy.close();
      await provider.close();
    });
  }

  test('thrift: no graceful-close frame; the call in flight completes, then the connection closes', async () => {
    const server = await startThriftServer({ transport: 'framed', protocol: 'binary' });
    const proxy = await proxyFor('thrift', 'td', server.port);
    const client = await createThriftClient(proxy.port('rpc'), { transport: 'framed', protocol: 'binary' });
    const call = client.calc.slow(150, 42);
    await waitFor(async () => (await stat(proxy, 'rpc.td.request_active')) === 1);
    drain(proxy);
    assert.equal(await call, 42);
    await waitFor(async () => (await stat(proxy, 'rpc.td.downstream_cx_drain_close')) === 1);
    assert.equal(await stat(proxy, 'rpc.td.downstream_goaway_sent'), 0);
    assert.deepEqual(client.errors, []);
    await client.close();
    await proxy.close();
    await server.close();
  });
});
