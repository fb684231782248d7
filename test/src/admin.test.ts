import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawExchange, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { assertPromtoolAccepts, assertWellGrouped } from '@weft/proxy/observability/promtool.test-helper';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

describe('admin API', () => {
  let up: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    up = await startUpstream('a');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: backend }' }),
        staticCluster('backend', [up.port]),
        `layered_runtime:
  layers:
  - name: static
    static_layer: { feature: { enabled: true }, limit: 5 }`,
      ).replace('node: { id: test-node, cluster: test }', 'node: { id: test-node, cluster: test, metadata: { NAME: pod-1, NAMESPACE: shop, LABELS: { app: cart, version: v2 } } }'),
    );
    for (let i = 0; i < 3; i++) await request(proxy.port('http'), '/x');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const admin = (path: string, method = 'GET'): ReturnType<typeof request> => request(proxy.adminPort, path, { method });

  test('/ready answers LIVE', async () => {
    const res = await admin('/ready');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'LIVE\n');
  });

  test('/server_info reports version, state and node', async () => {
    const info = JSON.parse((await admin('/server_info')).body) as { state: string; version: string; node: { id: string } };
    assert.equal(info.state, 'LIVE');
    assert.match(info.version, /^weft\//);
    assert.equal(info.node.id, 'test-node');
  });

  test('/stats lists Envoy-named stats and filters by regex', async () => {
    const all = (await admin('/stats')).body;
    assert.match(all, /^cluster\.backend\.upstream_rq_total: 3$/m);
    assert.match(all, /^http\.ingress\.downstream_rq_2xx: 3$/m);
    assert.match(all, /^cluster\.backend\.upstream_rq_200: 3$/m);
    const filtered = (await admin('/stats?filter=upstream_rq_total')).body.trim().split('\n');
    assert.ok(filtered.length >= 1 && filtered.every((l) => l.includes('upstream_rq_total')));
    assert.equal((await admin('/stats?filter=(')).status, 400);
    const json = JSON.parse((await admin('/stats?format=json')).body) as { stats: unknown[] };
    assert.ok(json.stats.length > 10);
  });

  test('/stats/prometheus is valid exposition with Istio metrics labelled from node metadata', async () => {
    const body = (await admin('/stats/prometheus')).body;
    assert.match(body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="backend"\} 3$/m);
    assert.match(body, /^istio_requests_total\{[^}]*reporter="source"[^}]*source_workload_namespace="shop"[^}]*response_code="200"[^}]*\} 3$/m);
    assert.match(body, /source_app="cart"/);
    assertPromtoolAccepts(body);
    assertWellGrouped(body);
  });

  test('/clusters shows hosts with their counters', async () => {
    const text = (await admin('/clusters')).body;
    assert.match(text, new RegExp(`^backend::127\\.0\\.0\\.1:${up.port}::rq_total::3$`, 'm'));
    assert.match(text, new RegExp(`^backend::127\\.0\\.0\\.1:${up.port}::health_flags::healthy$`, 'm'));
    const json = JSON.parse((await admin('/clusters?format=json')).body) as { cluster_statuses: Array<{ name: string }> };
    assert.deepEqual(json.cluster_statuses.map((c) => c.name), ['backend']);
  });

  test('/config_dump returns bootstrap, listeners, clusters and routes', async () => {
    const dump = JSON.parse((await admin('/config_dump')).body) as { configs: Array<Record<string, unknown>> };
    const types = dump.configs.map((c) => c['@type']);
    assert.deepEqual(types, [
      'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ]);
  });

  test('/listeners shows the bound address', async () => {
    assert.equal((await admin('/listeners')).body, `http::127.0.0.1:${proxy.port('http')}\n`);
  });

  test('/runtime shows static layer values', async () => {
    const rt = JSON.parse((await admin('/runtime')).body) as { entries: Record<string, unknown> };
    assert.equal(rt.entries['feature.enabled'], true);
    assert.equal(rt.entries['limit'], 5);
  });

  test('mutating endpoints require POST', async () => {
    assert.equal((await admin('/healthcheck/fail')).status, 405);
  });

  test('/healthcheck/fail makes responses close their connections; /healthcheck/ok restores keep-alive', async () => {
    assert.equal((await admin('/healthcheck/fail', 'POST')).status, 200);
    const failed = await rawExchange(proxy.port('http'), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { idleMs: 500 });
    assert.match(failed.text, /connection: close/i);
    assert.equal((await admin('/healthcheck/ok', 'POST')).status, 200);
    const ok = await rawExchange(proxy.port('http'), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { idleMs: 200 });
    assert.doesNotMatch(ok.text, /connection: close/i);
  });

  test('/logging changes the level and rejects unknown ones', async () => {
    const res = await admin('/logging?level=debug', 'POST');
    assert.match(res.body, /admin: debug/);
    assert.equal((await admin('/logging?level=loud', 'POST')).status, 400);
    await admin('/logging?level=off', 'POST');
  });

  test('/hot_upgrade needs POST, validates timeout_ms and binary, and is unavailable in a proxy not run by `weft proxy`', async () => {
    assert.equal((await admin('/hot_upgrade')).status, 405);
    const badTimeout = await admin('/hot_upgrade?timeout_ms=0', 'POST');
    assert.equal(badTimeout.status, 400);
    assert.equal(badTimeout.body, 'error: timeout_ms must be a positive integer\n');
    assert.equal((await admin('/hot_upgrade?timeout_ms=1.5', 'POST')).status, 400);
    const badBinary = await admin('/hot_upgrade?binary=', 'POST');
    assert.equal(badBinary.status, 400);
    assert.equal(badBinary.body, 'error: binary must be a path\n');
    const res = await admin('/hot_upgrade', 'POST');
    assert.equal(res.status, 501);
    assert.deepEqual(JSON.parse(res.body), { ok: false, reason: 'hot upgrade is not available in this process' });
    assert.match((await admin('/help')).body, /\n {2}\/hot_upgrade: start a new proxy process/);
  });

  test('unknown paths are 404 with the list of commands', async () => {
    const res = await admin('/nope');
    assert.equal(res.status, 404);
    assert.match(res.body, /\/ready/);
  });
});

describe('admin /drain_listeners', () => {
  test('stops accepting new connections', async () => {
    const up = await startUpstream('a');
    const proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: backend }' }), staticCluster('backend', [up.port])));
    const port = proxy.port('http');
    assert.equal((await request(port, '/')).status, 200);
    assert.equal((await request(proxy.adminPort, '/drain_listeners', { method: 'POST' })).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(request(port, '/'), /ECONNREFUSED/);
    await proxy.close();
    await up.close();
  });
});
