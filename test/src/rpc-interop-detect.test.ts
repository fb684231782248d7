import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createSofaConsumer, createThriftClient, dubboClient, java, startDubboProvider, startProxyFromYaml, startSofaServer, startThriftServer,
  type DubboProvider, type SofaServer, type TestProxy, type TestThriftServer,
} from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// One listener, three protocols: each connection's codec is detected from its first bytes (real peers).

const SOFA = 'com.weft.demo.Greeter';
const DUBBO = 'com.weft.demo.DubboGreeter';

describe('one RPC listener serving Bolt, Dubbo and Thrift clients, detected per connection', () => {
  let sofa: SofaServer;
  let dubbo: DubboProvider;
  let thrift: TestThriftServer;
  let proxy: TestProxy;

  before(async () => {
    sofa = await startSofaServer({ interfaceName: SOFA, methods: { hello: (n: unknown) => `bolt:${String(n)}` } });
    dubbo = await startDubboProvider({ services: { [DUBBO]: { sayHello: (args: unknown[]) => `dubbo:${String(args[0])}` } } });
    thrift = await startThriftServer({ transport: 'framed', protocol: 'binary' });
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'any',
          `stat_prefix: any
codecs: [bolt, dubbo, thrift]
route_config:
  name: local
  routes:
  - { name: sofa, match: { service: { exact: ${SOFA} } }, route: { cluster: sofa } }
  - { name: dubbo, match: { service: { exact: ${DUBBO} } }, route: { cluster: dubbo } }
  - { name: thrift, match: { method: { exact: add } }, route: { cluster: thrift } }`,
        ),
        rpcCluster('sofa', [{ port: sofa.port }]) + rpcCluster('dubbo', [{ port: dubbo.port }]) + rpcCluster('thrift', [{ port: thrift.port }]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await sofa.close();
    await dubbo.close();
    await thrift.close();
  });

  test('each client gets its own protocol back on the same port', async () => {
    const port = proxy.port('any');
    const s = await createSofaConsumer(port, { interfaceName: SOFA });
    const d = dubboClient(port, { timeoutSec: 3 });
    const t = await createThriftClient(port, { transport: 'framed', protocol: 'binary' });
    try {
      assert.equal(await s.invoke('hello', ['a']), 'bolt:a');
      const svc = d.service({ dubboInterface: DUBBO, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
      assert.deepEqual(await svc.sayHello!('b'), { res: 'dubbo:b', err: null });
      assert.equal(await t.calc.add(20, 22), 42);
      assert.equal(await adminStat(proxy.adminPort, 'rpc.any.downstream_cx_unknown_protocol'), 0);
      assert.equal(await adminStat(proxy.adminPort, 'rpc.any.response_success'), 3);
    } finally {
      await s.close();
      d.close();
      await t.close();
    }
  });
});
