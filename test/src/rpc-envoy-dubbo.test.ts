import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RpcCodec } from '@weft/proxy/interfaces/rpc-codec';
import { registerRpcExtensions } from '@weft/proxy/extensions/rpc-builtins';
import { getRpcCodec, registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { configError } from './config-error.js';
import { createTestCodec } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { rpcCluster } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap, indent } from './yaml.js';

const DUBBO_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy';

function dubboListener(body: string): string {
  return `
  - name: dubbo
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": ${DUBBO_TYPE}
${indent(body, 10)}`;
}

// The test protocol stands in for the `dubbo` codec (the real one is restored afterwards). The RPC extension is
// registered first: starting a proxy registers it once per process, which would replace the stand-in.
let previous: RpcCodec | undefined;
function useTestDubbo(): void {
  registerRpcExtensions();
  previous = getRpcCodec('dubbo');
  registerRpcCodec(createTestCodec('dubbo', MAGIC));
}
function restoreDubbo(): void {
  if (previous !== undefined) registerRpcCodec(previous);
  else unregisterRpcCodec('dubbo');
}

describe("Envoy's dubbo_proxy on the RPC proxy", () => {
  let a: RpcTestServer;
  let b: RpcTestServer;
  let proxy: TestProxy;

  before(async () => {
    useTestDubbo();
    a = await startRpcServer('a');
    b = await startRpcServer('b');
    proxy = await startProxyFromYaml(
      bootstrap(
        dubboListener(`stat_prefix: shop
protocol_type: Dubbo
serialization_type: Hessian2
multiple_route_config:
  name: all
  route_config:
  - name: cart
    interface: com.acme.Cart
    group: g1
    version: 1.0.0
    routes:
    - match: { method: { name: { exact: add }, params_match: { 1: { range_match: { start: 100, end: 200 } } } } }
      route: { cluster: b }
    - match: { method: { name: { exact: add }, params_match: { 0: { exact_match: vip } } } }
      route: { cluster: b }
    - match: { headers: [{ name: tenant, exact_match: gold }] }
      route: { cluster: b }
    - match: { method: { name: { safe_regex: { regex: ".*" } } } }
      route: { cluster: a }
dubbo_filters:
- name: envoy.filters.dubbo.router`),
        rpcCluster('a', [{ port: a.port }]) + rpcCluster('b', [{ port: b.port }]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await a.close();
    await b.close();
    restoreDubbo();
  });

  test('routes on interface, group, version, method, parameters (exact and range) and attachments', async () => {
    const c = await RpcTestClient.connect(proxy.port('dubbo'));
    const call = async (body: Parameters<RpcTestClient['call']>[0]): Promise<string> => {
      const r = await c.call({ service: 'com.acme.Cart', group: 'g1', version: '1.0.0', ...body });
      return r.status === 'ok' ? resultOf(r).server : String(r.body.local);
    };
    assert.equal(await call({ method: 'add', args: ['x', 150] }), 'b');
    assert.equal(await call({ method: 'add', args: ['x', 200] }), 'a');
    assert.equal(await call({ method: 'add', args: ['vip', 1] }), 'b');
    assert.equal(await call({ method: 'list', headers: { tenant: 'gold' } }), 'b');
    assert.equal(await call({ method: 'list' }), 'a');
    assert.equal(await call({ method: 'list', version: '2.0.0' }), 'no_route');
    assert.equal(await call({ method: 'list', service: 'com.acme.Other' }), 'no_route');
    assert.equal(await adminStat(proxy.adminPort, 'dubbo.shop.request'), 7);
    assert.equal(await adminStat(proxy.adminPort, 'dubbo.shop.local_reply_no_route'), 2);
    await c.close();
  });
});

describe("Envoy's dubbo_proxy refusals", () => {
  before(useTestDubbo);
  after(restoreDubbo);
  const P = 'static_resources\\.listeners\\[0\\]\\.filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config';
  const refusal = (body: string): string => configError(bootstrap(dubboListener(body), rpcCluster('c', [{ port: 1 }])));

  test('refuses drds without ADS, filters other than the router, unknown clusters and unsupported weighted cluster fields', () => {
    assert.match(refusal('stat_prefix: s\ndrds: { config_source: { ads: {} }, route_config_name: r }'), new RegExp(`${P}\\.drds: needs dynamic_resources\\.ads_config`));
    assert.match(refusal('stat_prefix: s\ndubbo_filters: [{ name: envoy.filters.dubbo.testing }]'), new RegExp(`${P}\\.dubbo_filters\\[0\\]\\.name: unsupported dubbo filter`));
    assert.match(
      refusal('stat_prefix: s\nroute_config: [{ interface: x, routes: [{ match: { method: { name: { exact: m } } }, route: { cluster: nope } }] }]'),
      new RegExp(`${P}\\.route_config\\[0\\]\\.routes\\[0\\]\\.route\\.cluster: unknown cluster 'nope'`),
    );
    assert.match(
      refusal('stat_prefix: s\nroute_config: [{ interface: x, routes: [{ match: {}, route: { weighted_clusters: { runtime_key_prefix: k, clusters: [{ name: c, weight: 1 }] } } }] }]'),
      new RegExp(`${P}\\.route_config\\[0\\]\\.routes\\[0\\]\\.route\\.weighted_clusters\\.runtime_key_prefix: is not supported yet`),
    );
  });

  test('refuses the filter when no dubbo codec is available', () => {
    unregisterRpcCodec('dubbo');
    try {
      assert.match(refusal('stat_prefix: s'), new RegExp(`${P}\\.protocol_type: the 'dubbo' codec is not available`));
    } finally {
      registerRpcCodec(createTestCodec('dubbo', MAGIC));
    }
  });
});
