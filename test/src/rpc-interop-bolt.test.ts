import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSofaConsumer, startProxyFromYaml, startSofaServer, type SofaConsumer, type SofaServer, type TestProxy } from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// Real sofa-rpc-node consumers and servers talking SOFA Bolt through weft proxy's RPC proxy.

const INTERFACE = 'com.weft.demo.Greeter';

function errorOf(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => assert.fail(`expected an error, got ${JSON.stringify(v)}`),
    (e: unknown) => e as Error,
  );
}

describe('SOFA Bolt through the RPC proxy (real sofa-rpc-node peers)', () => {
  let main: SofaServer;
  let special: SofaServer;
  let proxy: TestProxy;
  const consumers: SofaConsumer[] = [];

  before(async () => {
    const methods = (tag: string) => ({
      hello: (name: unknown) => `${tag}:hello ${String(name)}`,
      special: (n: unknown) => `${tag}:special ${String(n)}`,
      slow: async (ms: unknown) => {
        await new Promise((r) => setTimeout(r, Number(ms)));
        return `${tag}:slow`;
      },
      boom: () => {
        throw new Error('kaboom');
      },
    });
    main = await startSofaServer({ interfaceName: INTERFACE, methods: methods('main') });
    special = await startSofaServer({ interfaceName: INTERFACE, methods: methods('special') });
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'bolt',
          `stat_prefix: bolt_in
codecs: [bolt]
route_config:
  name: local
  routes:
  - name: special
    match: { service: { exact: ${INTERFACE} }, method: { exact: special } }
    route: { cluster: special }
  - name: slow
    match: { service: { exact: ${INTERFACE} }, method: { exact: slow } }
    route: { cluster: main, timeout: 0.2s }
  - name: greeter
    match: { service: { exact: ${INTERFACE} } }
    route: { cluster: main }`,
        ),
        rpcCluster('main', [{ port: main.port }]) + rpcCluster('special', [{ port: special.port }]),
      ),
    );
  });

  after(async () => {
    for (const c of consumers) await c.close();
    await proxy.close();
    await main.close();
    await special.close();
  });

  async function consumer(options: Parameters<typeof createSofaConsumer>[1] = {}): Promise<SofaConsumer> {
    const c = await createSofaConsumer(proxy.port('bolt'), { interfaceName: INTERFACE, ...options });
    consumers.push(c);
    return c;
  }

  test('unary calls in Bolt v1 and v2 with CRC reach the server and come back', async () => {
    const v1 = await consumer();
    assert.equal(await v1.invoke('hello', ['ann']), 'main:hello ann');
    const v2 = await consumer({ bolt: 'v2-crc' });
    assert.equal(await v2.invoke('hello', ['bob']), 'main:hello bob');
    assert.deepEqual(main.calls.slice(-2).map((c) => c.args), [['ann'], ['bob']]);
  });

  test('200 concurrent calls on one connection are multiplexed and each answer matches its call', async () => {
    const c = await consumer();
    const names = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const answers = await Promise.all(names.map((n) => c.invoke('hello', [n])));
    assert.deepEqual(answers, names.map((n) => `main:hello ${n}`));
  });

  test('routes by method to another cluster', async () => {
    const c = await consumer();
    assert.equal(await c.invoke('special', [7]), 'special:special 7');
    assert.equal(await c.invoke('hello', ['x']), 'main:hello x');
  });

  test('a server exception reaches the client and the connection keeps serving', async () => {
    const c = await consumer();
    const err = await errorOf(c.invoke('boom', []));
    assert.match(err.message, /kaboom/);
    assert.equal(await c.invoke('hello', ['after']), 'main:hello after');
  });

  test('the route timeout is answered with a Bolt error response, not a closed connection', async () => {
    const c = await consumer();
    const before = await adminStat(proxy.adminPort, 'rpc.bolt_in.local_reply_timeout');
    const err = await errorOf(c.invoke('slow', [1000], { responseTimeout: 3000 }));
    assert.match(err.message, /upstream request timeout/);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.bolt_in.local_reply_timeout'), before + 1);
    assert.equal(await c.invoke('hello', ['still']), 'main:hello still');
  });

  test('a call no route matches gets a no-route error the client shows', async () => {
    const other = await createSofaConsumer(proxy.port('bolt'), { interfaceName: 'com.weft.demo.Unknown' });
    consumers.push(other);
    const err = await errorOf(other.invoke('hello', ['x']));
    assert.match(err.message, /no route for com\.weft\.demo\.Unknown\.hello/);
    assert.ok((await adminStat(proxy.adminPort, 'rpc.bolt_in.local_reply_no_route')) >= 1);
  });

  test('counts requests per service and method', async () => {
    const c = await consumer();
    const stat = 'rpc.bolt_in.service.com_weft_demo_Greeter.special.request';
    const before = await adminStat(proxy.adminPort, stat);
    await c.invoke('special', [1]);
    await c.invoke('special', [2]);
    assert.equal(await adminStat(proxy.adminPort, stat), before + 2);
  });
});
