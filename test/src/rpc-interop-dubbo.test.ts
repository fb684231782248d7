import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DubboStatusError, dubboClient, java, startDubboProvider, startProxyFromYaml, type DubboProvider, type DubboTestClient, type TestProxy } from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// A real Dubbo client (dubbo2.js) and a hessian.js provider talking Dubbo through weft proxy's RPC proxy.

const DEMO = 'com.weft.demo.DubboGreeter';
const methods = {
  sayHello: (n: string) => [java.String(n)],
  vip: (tier: string) => [java.String(tier)],
  slow: (ms: number) => [java.int(ms)],
  crash: () => [],
};

describe('Dubbo through the RPC proxy (real dubbo2.js client, hessian.js provider)', () => {
  let main: DubboProvider;
  let gold: DubboProvider;
  let proxy: TestProxy;
  const clients: DubboTestClient[] = [];

  before(async () => {
    const impl = (tag: string) => ({
      [DEMO]: {
        sayHello: (args: unknown[]) => `${tag}:hello ${String(args[0])}`,
        vip: (args: unknown[]) => `${tag}:vip ${String(args[0])}`,
        slow: async (args: unknown[]) => {
          await new Promise((r) => setTimeout(r, Number(args[0])));
          return `${tag}:slow`;
        },
        crash: () => {
          throw new DubboStatusError(80, 'provider exploded');
        },
      },
    });
    main = await startDubboProvider({ services: impl('main') });
    gold = await startDubboProvider({ services: impl('gold') });
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'dubbo',
          `stat_prefix: dubbo_in
codecs: [dubbo]
route_config:
  name: local
  routes:
  - name: gold-tier
    match: { service: { exact: ${DEMO} }, method: { exact: vip }, parameters: [{ index: 0, value: { exact: gold } }] }
    route: { cluster: gold }
  - name: slow
    match: { service: { exact: ${DEMO} }, method: { exact: slow } }
    route: { cluster: main, timeout: 0.2s }
  - name: demo
    match: { service: { exact: ${DEMO} }, version: { exact: 1.0.0 } }
    route: { cluster: main }`,
        ),
        rpcCluster('main', [{ port: main.port }]) + rpcCluster('gold', [{ port: gold.port }]),
      ),
    );
  });

  after(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await main.close();
    await gold.close();
  });

  function service(version = '1.0.0'): ReturnType<DubboTestClient['service']> {
    const client = dubboClient(proxy.port('dubbo'), { timeoutSec: 3 });
    clients.push(client);
    return client.service({ dubboInterface: DEMO, version, methods });
  }

  test('a unary call reaches the provider with its attachments and the answer comes back', async () => {
    const svc = service();
    assert.deepEqual(await svc.sayHello!('ann'), { res: 'main:hello ann', err: null });
    const call = main.calls.at(-1);
    assert.equal(call?.service, DEMO);
    assert.equal(call?.method, 'sayHello');
    assert.equal(call?.attachments['interface'], DEMO);
  });

  test('100 concurrent calls on one connection each get their own answer', async () => {
    const svc = service();
    const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
    const results = await Promise.all(names.map((n) => svc.sayHello!(n)));
    assert.deepEqual(results.map((r) => r.res), names.map((n) => `main:hello ${n}`));
  });

  test('routes by argument value: vip("gold") goes to the gold cluster, vip("silver") to the default', async () => {
    const svc = service();
    assert.equal((await svc.vip!('gold')).res, 'gold:vip gold');
    assert.equal((await svc.vip!('silver')).res, 'main:vip silver');
  });

  test('a provider error status reaches the client and the connection keeps serving', async () => {
    const svc = service();
    const r = await svc.crash!();
    assert.match(r.err?.message ?? '', /provider exploded/);
    assert.equal((await svc.sayHello!('after')).res, 'main:hello after');
  });

  test('the route timeout is a Dubbo SERVER_TIMEOUT response, counted as a local reply', async () => {
    const svc = service();
    const before = await adminStat(proxy.adminPort, 'rpc.dubbo_in.local_reply_timeout');
    const r = await svc.slow!(1000);
    assert.match(r.err?.message ?? '', /upstream request timeout/);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.dubbo_in.local_reply_timeout'), before + 1);
    assert.equal((await svc.sayHello!('still')).res, 'main:hello still');
  });

  test('a version no route matches gets SERVICE_NOT_FOUND with the reason', async () => {
    const svc = service('9.9.9');
    const r = await svc.sayHello!('x');
    assert.match(r.err?.message ?? '', /no route for com\.weft\.demo\.DubboGreeter\.sayHello/);
    assert.ok((await adminStat(proxy.adminPort, 'rpc.dubbo_in.local_reply_no_route')) >= 1);
  });
});

describe("Dubbo through Envoy's dubbo_proxy config (real dubbo2.js client, hessian.js provider)", () => {
  let main: DubboProvider;
  let gold: DubboProvider;
  let proxy: TestProxy;
  let client: DubboTestClient;

  before(async () => {
    const impl = (tag: string) => ({ [DEMO]: { sayHello: (args: unknown[]) => `${tag}:hello ${String(args[0])}`, vip: (args: unknown[]) => `${tag}:vip ${String(args[0])}` } });
    main = await startDubboProvider({ services: impl('main') });
    gold = await startDubboProvider({ services: impl('gold') });
    proxy = await startProxyFromYaml(
      bootstrap(
        `
  - name: dubbo
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: envoy_dubbo
          route_config:
          - name: demo
            interface: ${DEMO}
            routes:
            - match: { method: { name: { exact: vip } } }
              route: { cluster: gold }
            - match: { method: { name: { safe_regex: { regex: ".*" } } } }
              route: { cluster: main }
          dubbo_filters: [{ name: envoy.filters.dubbo.router }]`,
        rpcCluster('main', [{ port: main.port }]) + rpcCluster('gold', [{ port: gold.port }]),
      ),
    );
    client = dubboClient(proxy.port('dubbo'), { timeoutSec: 3 });
  });

  after(async () => {
    client.close();
    await proxy.close();
    await main.close();
    await gold.close();
  });

  test('routes by method name as Envoy would, and counts under dubbo.<stat_prefix>', async () => {
    const svc = client.service({ dubboInterface: DEMO, version: '1.0.0', methods });
    assert.equal((await svc.vip!('x')).res, 'gold:vip x');
    assert.equal((await svc.sayHello!('y')).res, 'main:hello y');
    assert.equal(await adminStat(proxy.adminPort, 'dubbo.envoy_dubbo.request'), 2);
  });
});
