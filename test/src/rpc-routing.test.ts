import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createTestCodec } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

describe('rpc_proxy routing: attributes, weights, subsets, colours', () => {
  const servers: Record<string, RpcTestServer> = {};
  let proxy: TestProxy;
  let client: RpcTestClient;

  before(async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    for (const name of ['a', 'b', 'v1', 'v2', 'blue', 'base']) servers[name] = await startRpcServer(name);
    const port = (n: string): number => (servers[n] as RpcTestServer).port;
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'rpc',
          `stat_prefix: routing
codecs: [wrpc]
colouring: { header: x-weft-colour }
route_config:
  name: local
  routes:
  - name: by-header
    match: { headers: [{ name: X-Tenant, string_match: { exact: gold } }] }
    route: { cluster: b }
  - name: by-param
    match: { service: { exact: calc }, parameters: [{ index: 1, value: { prefix: vip- } }] }
    route: { cluster: b }
  - name: by-method
    match: { service: { prefix: com.acme. }, method: { safe_regex: { regex: "spe.*" } } }
    route: { cluster: b }
  - name: by-version
    match: { version: { exact: "2.0" }, group: { exact: g1 }, application: { exact: app1 } }
    route: { cluster: b }
  - name: subset
    match: { service: { exact: subset } }
    route: { cluster: versions, metadata_match: { filter_metadata: { envoy.lb: { version: v2 } } } }
  - name: weighted
    match: { service: { exact: weighted } }
    route: { weighted_clusters: { clusters: [{ name: a, weight: 1 }, { name: b, weight: 1 }] } }
  - name: coloured
    match: { service: { exact: coloured } }
    route: { cluster: colours }
  - name: default
    match: {}
    route: { cluster: a }`,
        ),
        rpcCluster('a', [{ port: port('a') }]) +
          rpcCluster('b', [{ port: port('b') }]) +
          rpcCluster('versions', [
            { port: port('v1'), labels: { version: 'v1' } },
            { port: port('v2'), labels: { version: 'v2' } },
          ]) +
          rpcCluster('colours', [{ port: port('blue'), labels: { colour: 'blue' } }, { port: port('base') }]),
      ),
    );
    client = await RpcTestClient.connect(proxy.port('rpc'));
  });

  after(async () => {
    await client.close();
    await proxy.close();
    for (const s of Object.values(servers)) await s.close();
    unregisterRpcCodec('wrpc');
  });

  async function serverFor(body: Parameters<RpcTestClient['call']>[0]): Promise<string> {
    const res = await client.call(body);
    assert.equal(res.status, 'ok', JSON.stringify(res.body));
    return resultOf(res).server;
  }

  test('routes on service and method, headers and parameters; the first matching route wins', async () => {
    assert.equal(await serverFor({ service: 'com.acme.Shop', method: 'buy' }), 'a');
    assert.equal(await serverFor({ service: 'com.acme.Shop', method: 'special' }), 'b');
    assert.equal(await serverFor({ service: 'other', method: 'special' }), 'a');
    assert.equal(await serverFor({ service: 'x', method: 'y', headers: { 'x-tenant': 'gold' } }), 'b');
    assert.equal(await serverFor({ service: 'x', method: 'y', headers: { 'x-tenant': 'silver' } }), 'a');
    assert.equal(await serverFor({ service: 'calc', method: 'add', args: [1, 'vip-7'] }), 'b');
    assert.equal(await serverFor({ service: 'calc', method: 'add', args: [1, 'std-7'] }), 'a');
    assert.equal(await serverFor({ service: 'calc', method: 'add', args: [1] }), 'a');
    assert.equal(await serverFor({ service: 's', method: 'm', version: '2.0', group: 'g1', application: 'app1' }), 'b');
    assert.equal(await serverFor({ service: 's', method: 'm', version: '2.0', group: 'g1', application: 'app2' }), 'a');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.routing.service.calc.add.request'), 3);
  });

  test('answers bad_request when a parameter route cannot decode the arguments', async () => {
    const r = await client.call({ service: 'calc', method: 'add', args: 'not a list' as unknown as unknown[] });
    assert.equal(r.body.local, 'bad_request');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.routing.local_reply_bad_request'), 1);
  });

  test('splits weighted clusters by weight', async () => {
    const seen: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const s = await serverFor({ service: 'weighted', method: 'm' });
      seen[s] = (seen[s] ?? 0) + 1;
    }
    assert.equal((seen['a'] ?? 0) + (seen['b'] ?? 0), 40);
    assert.ok((seen['a'] ?? 0) > 0 && (seen['b'] ?? 0) > 0, JSON.stringify(seen));
  });

  test('selects hosts by endpoint metadata (metadata_match)', async () => {
    for (let i = 0; i < 4; i++) assert.equal(await serverFor({ service: 'subset', method: 'm' }), 'v2');
    assert.equal((servers['v1'] as RpcTestServer).received.length, 0);
  });

  test('sends coloured requests to hosts of that colour, propagating the colour; others to the baseline', async () => {
    const blue = await client.call({ service: 'coloured', method: 'm', headers: { 'x-weft-colour': 'blue' } });
    assert.equal(resultOf(blue).server, 'blue');
    assert.deepEqual(resultOf(blue).headers, { 'x-weft-colour': 'blue' });
    // No green host: the baseline (hosts without a colour label) serves it, still carrying its colour.
    const green = await client.call({ service: 'coloured', method: 'm', headers: { 'x-weft-colour': 'green' } });
    assert.equal(resultOf(green).server, 'base');
    assert.deepEqual(resultOf(green).headers, { 'x-weft-colour': 'green' });
    // Uncoloured requests never reach coloured hosts.
    for (let i = 0; i < 4; i++) assert.equal(await serverFor({ service: 'coloured', method: 'm' }), 'base');
    assert.equal((servers['blue'] as RpcTestServer).received.length, 1);
  });
});
