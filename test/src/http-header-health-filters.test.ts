import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { configError } from './config-error.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const HM = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
const HM_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';
const HC = 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck';
const toA = '- match: { prefix: "/" }\n  route: { cluster: a }';
const healthCheck = (body: string): string => `- name: envoy.filters.http.health_check\n  typed_config: { "@type": ${HC}, ${body} }`;

describe('envoy.filters.http.header_mutation and envoy.filters.http.health_check', () => {
  let up: TestUpstream;
  let proxy: TestProxy;
  let hcStatus = 200;

  before(async () => {
    up = await startUpstream('a', (req, res) => {
      const status = req.url === '/healthz' ? hcStatus : 200;
      const payload = JSON.stringify({ url: req.url, headers: req.headers });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-remove-me': '1', 'x-level': 'upstream' });
      res.end(payload);
    });
    const hm = `- name: envoy.filters.http.header_mutation
  typed_config:
    "@type": ${HM}
    mutations:
      request_mutations:
      - append: { header: { key: x-filter, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } }
      - remove: x-secret
      - append: { header: { key: x-level, value: filter }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
      response_mutations:
      - remove: x-remove-me
      - append: { header: { key: x-resp-path, value: "%REQ(:PATH)%" } }`;
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          listenerName: 'hm',
          filters: hm,
          vhostExtra: `typed_per_filter_config:\n  envoy.filters.http.header_mutation: { "@type": ${HM_ROUTE}, mutations: { request_mutations: [{ append: { header: { key: x-level, value: vhost }, append_action: OVERWRITE_IF_EXISTS_OR_ADD } }] } }`,
          routes: `- match: { prefix: "/route" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.header_mutation: { "@type": ${HM_ROUTE}, mutations: { request_mutations: [{ append: { header: { key: x-level, value: route }, append_action: OVERWRITE_IF_EXISTS_OR_ADD } }] } }
${toA}`,
        }) +
          httpListener({ listenerName: 'hc', statPrefix: 'hc', filters: healthCheck('pass_through_mode: false, headers: [{ name: ":path", string_match: { exact: /healthz } }]'), routes: toA }) +
          httpListener({ listenerName: 'pt', statPrefix: 'pt', filters: healthCheck('pass_through_mode: true, headers: [{ name: ":path", string_match: { exact: /healthz } }]'), routes: toA }) +
          httpListener({ listenerName: 'cache', statPrefix: 'cache', filters: healthCheck('pass_through_mode: true, cache_time: 60s, headers: [{ name: ":path", string_match: { exact: /healthz } }]'), routes: toA }),
        staticCluster('a', [up.port]),
      ).replace('node: { id: test-node, cluster: test }', 'node: { id: test-node, cluster: local-svc }'),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const admin = (p: string): ReturnType<typeof request> => request(proxy.adminPort, p, { method: 'POST' });

  test('header_mutation: filter mutations in order with command operators, then per-route levels (most specific first)', async () => {
    const res = await request(proxy.port('hm'), '/x', { headers: { 'x-secret': 's', 'x-level': 'client' } });
    assert.equal(res.status, 200);
    const e = JSON.parse(res.body) as { headers: Record<string, string> };
    assert.equal(e.headers['x-filter'], '127.0.0.1');
    assert.equal(e.headers['x-secret'], undefined);
    // Filter sets "filter", then the virtual host level overwrites it.
    assert.equal(e.headers['x-level'], 'vhost');
    assert.equal(res.headers['x-remove-me'], undefined);
    assert.equal(res.headers['x-resp-path'], '/x');
    // Route level, then virtual host: the virtual host runs last and wins by default (Envoy's order).
    const r2 = await request(proxy.port('hm'), '/route');
    assert.equal((JSON.parse(r2.body) as { headers: Record<string, string> }).headers['x-level'], 'vhost');
  });

  test('health_check (non pass-through): answered 200 by the proxy; /healthcheck/fail flips it to 503, /healthcheck/ok back', async () => {
    const before = up.requests.length;
    const ok = await request(proxy.port('hc'), '/healthz');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-envoy-upstream-healthchecked-cluster'], 'local-svc');
    assert.equal(up.requests.length, before);
    assert.equal((await admin('/healthcheck/fail')).status, 200);
    try {
      const failed = await request(proxy.port('hc'), '/healthz');
      assert.equal(failed.status, 503);
      // Other requests still go upstream, marked as coming from a failed proxy.
      const other = await request(proxy.port('hc'), '/other');
      assert.equal(other.status, 200);
      assert.equal(other.headers['x-envoy-immediate-health-check-fail'], 'true');
      // Pass-through mode answers 503 itself while failed.
      const pt = await request(proxy.port('pt'), '/healthz');
      assert.equal(pt.status, 503);
    } finally {
      assert.equal((await admin('/healthcheck/ok')).status, 200);
    }
    assert.equal((await request(proxy.port('hc'), '/healthz')).status, 200);
    assert.equal((await request(proxy.port('hc'), '/other')).headers['x-envoy-immediate-health-check-fail'], undefined);
  });

  test('health_check pass-through forwards health checks upstream; cache_time reuses the upstream answer', async () => {
    const before = up.requests.length;
    hcStatus = 503;
    assert.equal((await request(proxy.port('pt'), '/healthz')).status, 503);
    assert.equal(up.requests.length, before + 1);
    assert.equal((await request(proxy.port('cache'), '/healthz')).status, 503);
    hcStatus = 200;
    // Cached for cache_time: the upstream is not asked again.
    assert.equal((await request(proxy.port('cache'), '/healthz')).status, 503);
    assert.equal(up.requests.length, before + 2);
  });

  test('invalid configs are refused with their field path', () => {
    const L = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
    const bad = (filters: string): string => configError(bootstrap(httpListener({ filters, routes: toA }), staticCluster('a', [1])));
    assert.equal(bad(healthCheck('pass_through_mode: false, cluster_min_healthy_percentages: { a: { value: 50 } }')), `${L}.cluster_min_healthy_percentages: is not supported yet`);
    assert.equal(bad(healthCheck('pass_through_mode: false, cache_time: 1s')), `${L}.cache_time: requires pass_through_mode: true`);
    assert.equal(
      bad(`- name: hm\n  typed_config: { "@type": ${HM}, mutations: { request_mutations: [{ append: { header: { key: ":path", value: x } } }] } }`),
      `${L}.mutations.request_mutations[0].append.header.key: :-prefixed or host headers may not be modified`,
    );
  });
});
