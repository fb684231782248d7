import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROUTE_TIMEOUT_MS, type ClusterRouteAction } from './route-action.js';
import { assertConfigError, compile, fakeRuntime, request, singleHost, type RequestInit } from './route-test-helpers.js';
import type { RouteDeps } from './route-table.js';

function action(route: object, match: object = { prefix: '/' }, deps: Partial<RouteDeps> = {}): ClusterRouteAction {
  const entry = compile(singleHost([{ match, route }]), deps).virtualHosts[0]?.routes[0];
  assert.ok(entry && entry.action.kind === 'route');
  return entry.action;
}

function pick(route: object, req: RequestInit, deps: Partial<RouteDeps> = {}): string | undefined {
  return action(route, { prefix: '/' }, deps).pickCluster(request(req))?.name;
}

describe('cluster selection', () => {
  it('returns the static cluster (same object every time)', () => {
    const a = action({ cluster: 'backend' });
    assert.equal(a.pickCluster(request())?.name, 'backend');
    assert.equal(a.pickCluster(request()), a.pickCluster(request()));
  });

  it('reads cluster_header at request time; a missing header picks nothing', () => {
    assert.equal(pick({ cluster_header: 'X-Cluster' }, { headers: [['x-cluster', 'dyn']] }), 'dyn');
    assert.equal(pick({ cluster_header: 'x-cluster' }, {}), undefined);
  });

  it('maps cluster_not_found_response_code', () => {
    assert.equal(action({ cluster_header: 'x' }).clusterNotFoundResponseCode, 503);
    assert.equal(action({ cluster_header: 'x', cluster_not_found_response_code: 'NOT_FOUND' }).clusterNotFoundResponseCode, 404);
    assert.equal(action({ cluster_header: 'x', cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' }).clusterNotFoundResponseCode, 500);
  });

  const weighted = { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 1 } }, { name: 'b', weight: { value: 3 } }, { name: 'zero', weight: { value: 0 } }, { name: 'c', weight: { value: 6 } }] } };

  it('splits weighted clusters exactly by random % total over the full range', () => {
    const a = action(weighted);
    const counts: Record<string, number> = {};
    for (let r = 0; r < 10_000; r++) {
      const name = a.pickCluster(request({ random: r }))?.name ?? 'none';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 1000, b: 3000, c: 6000 });
    assert.equal(a.pickCluster(request({ random: 0xffffffff }))?.name, 'c'); // 4294967295 % 10 = 5
  });

  it('returns the weighted entry with the pick', () => {
    const picked = action(weighted).pickCluster(request({ random: 2 }));
    assert.equal(picked?.name, 'b');
    assert.equal(picked?.weighted?.weight, 3);
  });

  it('reads weights from runtime under runtime_key_prefix', () => {
    const route = { weighted_clusters: { runtime_key_prefix: 'w', clusters: [{ name: 'a', weight: { value: 50 } }, { name: 'b', weight: { value: 50 } }] } };
    const runtime = fakeRuntime({ 'w.a': 0, 'w.b': 10 });
    for (let r = 0; r < 20; r++) assert.equal(pick(route, { random: r }, { runtime }), 'b');
  });

  it('takes the selection value from header_name when it is a single number', () => {
    const route = { weighted_clusters: { header_name: 'x-sel', clusters: [{ name: 'a', weight: { value: 1 } }, { name: 'b', weight: { value: 1 } }] } };
    assert.equal(pick(route, { random: 0, headers: [['x-sel', '1']] }), 'b');
    assert.equal(pick(route, { random: 0, headers: [['x-sel', '18446744073709551615']] }), 'b');
    assert.equal(pick(route, { random: 0, headers: [['x-sel', 'x']] }), 'a'); // not a number: random
    assert.equal(pick(route, { random: 0, headers: [['x-sel', '1'], ['x-sel', '1']] }), 'a'); // multi-valued: random
  });

  it('supports a weighted cluster named by a header', () => {
    const route = { weighted_clusters: { clusters: [{ cluster_header: 'x-c', weight: { value: 1 } }] } };
    assert.equal(pick(route, { headers: [['x-c', 'from-header']] }), 'from-header');
    assert.equal(pick(route, {}), undefined);
  });
});

describe('path rewrites', () => {
  const cases: Array<[string, object, object, string, string]> = [
    ['prefix_rewrite replaces the matched prefix', { prefix: '/foo' }, { prefix_rewrite: '/bar' }, '/foo/x?q=1', '/bar/x?q=1'],
    ['prefix_rewrite to / keeps the slash after the prefix, like Envoy', { prefix: '/foo' }, { prefix_rewrite: '/' }, '/foo/bar', '//bar'],
    ['prefix_rewrite with a trailing-slash prefix', { prefix: '/foo/' }, { prefix_rewrite: '/' }, '/foo/bar', '/bar'],
    ['prefix_rewrite of the whole path', { prefix: '/foo' }, { prefix_rewrite: '/' }, '/foo', '/'],
    ['prefix_rewrite keeps the query when the prefix is the whole path', { prefix: '/foo' }, { prefix_rewrite: '/bar' }, '/foo?x', '/bar?x'],
    ['prefix_rewrite with a case-insensitive match', { prefix: '/FOO', case_sensitive: { value: false } }, { prefix_rewrite: '/bar' }, '/foo/x', '/bar/x'],
    ['prefix_rewrite on an exact path route', { path: '/old' }, { prefix_rewrite: '/new' }, '/old?a=b', '/new?a=b'],
    ['prefix_rewrite on a path_separated_prefix route', { path_separated_prefix: '/api' }, { prefix_rewrite: '/v2' }, '/api/x', '/v2/x'],
    ['prefix_rewrite on a regex route replaces the whole path', { safe_regex: { regex: '/r/.*' } }, { prefix_rewrite: '/z' }, '/r/abc?q', '/z?q'],
    ['regex_rewrite with captures, query preserved', { prefix: '/' }, { regex_rewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' } }, '/service/foo/v1/api?x=1', '/v1/api/instance/foo?x=1'],
    ['regex_rewrite replaces every match', { prefix: '/' }, { regex_rewrite: { pattern: { regex: 'one' }, substitution: 'two' } }, '/one/one?one', '/two/two?one'],
    ['no rewrite leaves the path alone', { prefix: '/' }, {}, '/a?b', '/a?b'],
  ];
  for (const [name, match, extra, input, expected] of cases) {
    it(name, () => assert.equal(action({ cluster: 'c', ...extra }, match).rewritePath(input), expected));
  }
});

describe('host rewrite and timeouts', () => {
  it('exposes host_rewrite_literal, host_rewrite_header, host_rewrite_path_regex and auto_host_rewrite', () => {
    assert.equal(action({ cluster: 'c', host_rewrite_literal: 'up.internal' }).hostRewriteFor(request()), 'up.internal');
    const byHeader = action({ cluster: 'c', host_rewrite_header: 'X-Host' });
    assert.equal(byHeader.hostRewriteFor(request({ headers: [['x-host', 'h.example']] })), 'h.example');
    assert.equal(byHeader.hostRewriteFor(request()), undefined);
    const byPath = action({ cluster: 'c', host_rewrite_path_regex: { pattern: { regex: '^/([^/]+)/.*$' }, substitution: '\\1.svc' } });
    assert.equal(byPath.hostRewriteFor(request({ path: '/orders/list?x' })), 'orders.svc');
    assert.equal(action({ cluster: 'c', auto_host_rewrite: { value: true } }).autoHostRewrite, true);
    assert.equal(action({ cluster: 'c' }).hostRewriteFor(request()), undefined);
  });

  it("falls back to the weighted cluster's host_rewrite_literal; the route's rewrite wins", () => {
    const clusters = [{ name: 'a', weight: { value: 1 }, host_rewrite_literal: 'a.internal' }];
    const a = action({ weighted_clusters: { clusters } });
    const picked = a.pickCluster(request());
    assert.equal(a.hostRewriteFor(request(), picked), 'a.internal');
    const b = action({ weighted_clusters: { clusters }, host_rewrite_literal: 'route.internal' });
    assert.equal(b.hostRewriteFor(request(), b.pickCluster(request())), 'route.internal');
  });

  it('defaults the timeout to 15 s; 0 disables; idle and stream-duration timeouts are exposed', () => {
    assert.equal(action({ cluster: 'c' }).timeoutMs, DEFAULT_ROUTE_TIMEOUT_MS);
    assert.equal(action({ cluster: 'c', timeout: { seconds: 0 } }).timeoutMs, 0);
    assert.equal(action({ cluster: 'c', timeout: { seconds: 2, nanos: 500_000_000 } }).timeoutMs, 2500);
    const a = action({ cluster: 'c', idle_timeout: { seconds: 3 }, max_stream_duration: { max_stream_duration: { seconds: 4 }, grpc_timeout_header_max: { seconds: 0 } } });
    assert.equal(a.idleTimeoutMs, 3000);
    assert.equal(a.maxStreamDurationMs, 4000);
    assert.equal(a.grpcTimeoutHeaderMaxMs, 0);
    assert.equal(action({ cluster: 'c' }).idleTimeoutMs, undefined);
  });

  it('exposes upgrade configs and priority', () => {
    const a = action({ cluster: 'c', priority: 'HIGH', upgrade_configs: [{ upgrade_type: 'WebSocket' }, { upgrade_type: 'h2c', enabled: { value: false } }] });
    assert.equal(a.priority, 'HIGH');
    assert.deepEqual([...a.upgrades], [['websocket', true], ['h2c', false]]);
    assert.equal(a.connectTerminate, false);
    assert.equal(action({ cluster: 'c', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] }).connectTerminate, true);
  });
});

describe('route action config errors', () => {
  const p = 'rc.virtual_hosts[0].routes[0].route';
  const at = (route: object): object => singleHost([{ match: { prefix: '/' }, route }]);
  const unsupported: Array<[string, object]> = [
    ['retry_policy.per_try_idle_timeout', { retry_policy: { retry_on: '5xx', per_try_idle_timeout: { seconds: 1 } } }],
    ['request_mirror_policies[0].trace_sampled', { request_mirror_policies: [{ cluster: 'm', trace_sampled: { value: true } }] }],
    ['rate_limits', { rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'x' } }] }] }],
    ['cors', { cors: {} }],
    ['hedge_policy', { hedge_policy: {} }],
    ['metadata_match', { metadata_match: {} }],
    ['internal_redirect_policy', { internal_redirect_policy: {} }],
    ['internal_redirect_action', { internal_redirect_action: 'HANDLE_INTERNAL_REDIRECT' }],
    ['cluster_specifier_plugin', { cluster_specifier_plugin: 'x' }],
  ];
  for (const [field, extra] of unsupported) {
    it(`rejects ${field} as not supported`, () => {
      const route = field === 'cluster_specifier_plugin' ? extra : { cluster: 'c', ...extra };
      assertConfigError(at(route), `${p}.${field}`, /not supported/);
    });
  }
  const invalid: Array<[string, object, string, RegExp?]> = [
    ['an empty cluster', { cluster: '' }, `${p}.cluster`],
    [
      'a retry priority other than previous_priorities',
      { cluster: 'c', retry_policy: { retry_priority: { name: 'envoy.retry_priorities.other' } } },
      `${p}.retry_policy.retry_priority`,
      /unsupported retry priority 'envoy.retry_priorities.other'/,
    ],
    [
      'previous_priorities without an update_frequency',
      { cluster: 'c', retry_policy: { retry_priority: { name: 'envoy.retry_priorities.previous_priorities' } } },
      `${p}.retry_policy.retry_priority.typed_config.update_frequency`,
      /greater than 0/,
    ],
    ['no cluster specifier', {}, p, /required/],
    ['both prefix_rewrite and regex_rewrite', { cluster: 'c', prefix_rewrite: '/a', regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } }, `${p}.regex_rewrite`],
    ['a bad regex_rewrite pattern', { cluster: 'c', regex_rewrite: { pattern: { regex: '(' }, substitution: 'b' } }, `${p}.regex_rewrite.pattern.regex`],
    ['a substitution naming a missing group', { cluster: 'c', regex_rewrite: { pattern: { regex: 'a' }, substitution: '\\1' } }, `${p}.regex_rewrite.substitution`],
    ['weights adding to zero', { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 0 } }] } }, `${p}.weighted_clusters.clusters`, /greater than 0/],
    ['a weighted cluster without weight', { weighted_clusters: { clusters: [{ name: 'a' }] } }, `${p}.weighted_clusters.clusters[0].weight`],
    ['a weighted cluster with name and cluster_header', { weighted_clusters: { clusters: [{ name: 'a', cluster_header: 'x', weight: { value: 1 } }] } }, `${p}.weighted_clusters.clusters[0]`],
    ['a total_weight that disagrees', { weighted_clusters: { total_weight: { value: 100 }, clusters: [{ name: 'a', weight: { value: 1 } }] } }, `${p}.weighted_clusters.total_weight`],
    ['a duplicate upgrade type', { cluster: 'c', upgrade_configs: [{ upgrade_type: 'websocket' }, { upgrade_type: 'WEBSOCKET' }] }, `${p}.upgrade_configs[1].upgrade_type`],
    ['connect_config on a non-CONNECT upgrade', { cluster: 'c', upgrade_configs: [{ upgrade_type: 'websocket', connect_config: {} }] }, `${p}.upgrade_configs[0].connect_config`],
    ['connect_config.allow_post', { cluster: 'c', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: { allow_post: true } }] }, `${p}.upgrade_configs[0].connect_config.allow_post`],
    ['connect_config.proxy_protocol_config', { cluster: 'c', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: { proxy_protocol_config: {} } }] }, `${p}.upgrade_configs[0].connect_config.proxy_protocol_config`],
  ];
  for (const [name, route, path, reason] of invalid) {
    it(`rejects ${name} at ${path}`, () => assertConfigError(at(route), path, reason));
  }

  it('validates cluster names when asked, with the field path', () => {
    const exists = (n: string): boolean => n === 'known';
    const plain = singleHost([
      { match: { prefix: '/a' }, route: { cluster: 'known' } },
      { match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'known', weight: { value: 1 } }, { name: 'ghost', weight: { value: 1 } }] } } },
    ]);
    assertConfigError(plain, 'rc.virtual_hosts[0].routes[1].route.weighted_clusters.clusters[1].name', /unknown cluster 'ghost'/, { clusterExists: exists });
    assert.doesNotThrow(() => compile({ ...plain, validate_clusters: { value: false } }, { clusterExists: exists }));
    assert.doesNotThrow(() => compile(plain, { clusterExists: exists, validateClustersDefault: false }));
  });
});
