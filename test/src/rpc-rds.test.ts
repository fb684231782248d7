import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import {
  createThriftClient, dubboClient, java, startDubboProvider, startThriftServer,
  type DubboProvider, type DubboTestClient, type TestThriftClient, type TestThriftServer,
} from '@weft/testing';
import { createTestCodec } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { RPC_TYPE } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { CDS, LDS, startXds, staticClusterJson, waitUntil } from './xds-fixtures.js';

// The rpc_proxy's `rds`: its route table is a resource of its own type over ADS, so a route change reaches open
// connections on their next call without replacing the listener.

const RPC_RDS = 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration';
const THRIFT_RDS = 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.RouteConfiguration';
const DUBBO_RDS = 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration';

function rpcRdsListener(name: string, routeName: string): unknown {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'weft.filters.network.rpc_proxy',
            typed_config: { '@type': RPC_TYPE, stat_prefix: 'front', codecs: ['wrpc'], rds: { config_source: { ads: {} }, route_config_name: routeName } },
          },
        ],
      },
    ],
  };
}

/** A cluster of a (baseline) and b (`colour: blue`). */
function colouredCluster(name: string, a: number, b: number): unknown {
  const ep = (port: number, md: Record<string, string>): unknown => ({
    endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
    metadata: { filter_metadata: { 'envoy.lb': md } },
  });
  return { name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [ep(a, {}), ep(b, { colour: 'blue' })] }] } };
}

const routes = (name: string, cluster: string): unknown => ({ name, routes: [{ name: 'all', match: {}, route: { cluster } }] });

for (const apiType of ['GRPC', 'DELTA_GRPC'] as const) {
  describe(`rpc_proxy rds over ${apiType === 'GRPC' ? 'SotW' : 'Delta'} ADS`, () => {
    let a: RpcTestServer;
    let b: RpcTestServer;

    before(async () => {
      registerRpcCodec(createTestCodec('wrpc', MAGIC));
      a = await startRpcServer('a');
      b = await startRpcServer('b');
    });

    after(async () => {
      unregisterRpcCodec('wrpc');
      await a.close();
      await b.close();
    });

    test('the listener warms until its route table arrives; a new table applies to the next call of an open connection; a bad one is NACKed', async () => {
      const { ads, proxy } = await startXds(apiType, (s) => {
        s.set(CDS, 'c1', [staticClusterJson('a', a.port), staticClusterJson('b', b.port), colouredCluster('ab', a.port, b.port)]);
        s.set(LDS, 'l1', [rpcRdsListener('rpc', 'rr')]);
      });
      let client: RpcTestClient | undefined;
      try {
        // Subscribed by name; no table yet: the listener warms.
        await ads.waitFor((r) => r.req.type_url === RPC_RDS && (r.kind === 'sotw' ? r.req.resource_names : r.req.resource_names_subscribe).includes('rr'));
        assert.equal(await adminStat(proxy.adminPort, 'listener_manager.total_listeners_warming'), 1);
        ads.set(RPC_RDS, 'r1', [routes('rr', 'a')]);
        client = await RpcTestClient.connect(await proxy.waitPort('rpc'));
        assert.equal(resultOf(await client.call({})).server, 'a');

        ads.set(RPC_RDS, 'r2', [routes('rr', 'b')]);
        await waitUntil(async () => (await adminStat(proxy.adminPort, 'rpc.front.rds.rr.config_reload')) === 2);
        assert.equal(resultOf(await client.call({})).server, 'b');
        assert.equal(await adminStat(proxy.adminPort, 'rpc.front.downstream_cx_total'), 1);
        assert.equal(await adminStat(proxy.adminPort, 'listener_manager.listener_modified'), 0);

        // The table's colouring replaces the filter's: calls coloured blue go to the blue host while the table
        // names x-colour, and to the baseline host once it names another header.
        const coloured = (header: string): unknown => ({ name: 'rr', routes: [{ name: 'all', match: {}, route: { cluster: 'ab' } }], colouring: { header } });
        ads.set(RPC_RDS, 'r3', [coloured('x-colour')]);
        await waitUntil(async () => (await adminStat(proxy.adminPort, 'rpc.front.rds.rr.config_reload')) === 3);
        for (let i = 0; i < 3; i++) assert.equal(resultOf(await client.call({ headers: { 'x-colour': 'blue' } })).server, 'b');
        ads.set(RPC_RDS, 'r4', [coloured('x-dye')]);
        await waitUntil(async () => (await adminStat(proxy.adminPort, 'rpc.front.rds.rr.config_reload')) === 4);
        for (let i = 0; i < 3; i++) assert.equal(resultOf(await client.call({ headers: { 'x-colour': 'blue' } })).server, 'a');
        ads.set(RPC_RDS, 'r5', [routes('rr', 'b')]);
        await waitUntil(async () => (await adminStat(proxy.adminPort, 'rpc.front.rds.rr.config_reload')) === 5);

        ads.set(RPC_RDS, 'r6', [routes('rr', 'nope')]);
        const nack = await ads.waitFor((r) => r.req.type_url === RPC_RDS && r.req.error_detail !== null);
        assert.match(nack.req.error_detail?.message ?? '', /route_config\["rr"\]\.routes\[0\]\.route\.cluster: unknown cluster 'nope'/);
        assert.equal(await adminStat(proxy.adminPort, 'rpc.front.rds.rr.update_rejected'), 1);
        assert.equal(resultOf(await client.call({})).server, 'b');
      } finally {
        await client?.close();
        await proxy.close();
        await ads.stop();
      }
    });
  });
}

describe("Envoy's thrift_proxy trds (real thrift peers)", () => {
  const opts = { transport: 'framed', protocol: 'binary' } as const;
  let a: TestThriftServer;
  let b: TestThriftServer;

  before(async () => {
    a = await startThriftServer({ ...opts, handlers: { add: (x, y) => x + y } });
    b = await startThriftServer({ ...opts, handlers: { add: (x, y) => 1000 + x + y } });
  });

  after(async () => {
    await a.close();
    await b.close();
  });

  const listener = {
    name: 'thrift',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.thrift_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy',
              stat_prefix: 'calc',
              trds: { config_source: { ads: {} }, route_config_name: 'calc-routes' },
            },
          },
        ],
      },
    ],
  };
  const thriftRoutes = (cluster: string): unknown => ({ name: 'calc-routes', routes: [{ match: { method_name: 'add' }, route: { cluster } }] });

  test('a trds route table applies to the next call of an open thrift connection', async () => {
    const { ads, proxy } = await startXds('DELTA_GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port), staticClusterJson('b', b.port)]);
      s.set(LDS, 'l1', [listener]);
      s.set(THRIFT_RDS, 't1', [thriftRoutes('a')]);
    });
    let client: TestThriftClient | undefined;
    try {
      client = await createThriftClient(await proxy.waitPort('thrift'), opts);
      assert.equal(await client.calc.add(1, 2), 3);
      ads.set(THRIFT_RDS, 't2', [thriftRoutes('b')]);
      await waitUntil(async () => (await adminStat(proxy.adminPort, 'thrift.calc.rds.calc-routes.config_reload')) === 2);
      assert.equal(await client.calc.add(1, 2), 1003);
      assert.equal(await adminStat(proxy.adminPort, 'thrift.calc.downstream_cx_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'listener_manager.listener_modified'), 0);
    } finally {
      await client?.close();
      await proxy.close();
      await ads.stop();
    }
  });
});

describe("Envoy's dubbo_proxy drds (real dubbo2.js client, hessian.js providers)", () => {
  const DEMO = 'com.weft.demo.DubboGreeter';
  let a: DubboProvider;
  let b: DubboProvider;

  before(async () => {
    const impl = (tag: string) => ({ [DEMO]: { sayHello: (args: unknown[]) => `${tag}:hello ${String(args[0])}` } });
    a = await startDubboProvider({ services: impl('a') });
    b = await startDubboProvider({ services: impl('b') });
  });

  after(async () => {
    await a.close();
    await b.close();
  });

  const listener = {
    name: 'dubbo',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.dubbo_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
              stat_prefix: 'shop',
              drds: { config_source: { ads: {} }, route_config_name: 'shop-routes' },
            },
          },
        ],
      },
    ],
  };
  const dubboRoutes = (cluster: string): unknown => ({
    name: 'shop-routes',
    route_config: [{ name: 'greeter', interface: DEMO, routes: [{ match: { method: { name: { exact: 'sayHello' } } }, route: { cluster } }] }],
  });

  test('a drds route table applies to the next call of an open Dubbo connection', async () => {
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port), staticClusterJson('b', b.port)]);
      s.set(LDS, 'l1', [listener]);
      s.set(DUBBO_RDS, 'd1', [dubboRoutes('a')]);
    });
    let client: DubboTestClient | undefined;
    try {
      client = dubboClient(await proxy.waitPort('dubbo'), { timeoutSec: 3 });
      const svc = client.service({ dubboInterface: DEMO, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
      assert.deepEqual(await svc.sayHello!('ann'), { res: 'a:hello ann', err: null });
      ads.set(DUBBO_RDS, 'd2', [dubboRoutes('b')]);
      await waitUntil(async () => (await adminStat(proxy.adminPort, 'dubbo.shop.rds.shop-routes.config_reload')) === 2);
      assert.deepEqual(await svc.sayHello!('ann'), { res: 'b:hello ann', err: null });
      assert.equal(await adminStat(proxy.adminPort, 'dubbo.shop.downstream_cx_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'listener_manager.listener_modified'), 0);
    } finally {
      client?.close();
      await proxy.close();
      await ads.stop();
    }
  });
});
