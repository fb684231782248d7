import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertConfigError, compile, request, singleHost } from './route-test-helpers.js';

const ok = { match: { prefix: '/' }, route: { cluster: 'c' } };

describe('route table', () => {
  it('exposes route-level data the filters need', () => {
    const t = compile({
      name: 'main',
      internal_only_headers: ['X-Internal'],
      validate_clusters: { value: false },
      typed_per_filter_config: {
        'envoy.filters.http.other': { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', is_optional: true, config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } },
      },
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          include_request_attempt_count: true,
          per_request_buffer_limit_bytes: { value: 1024 },
          routes: [{ name: 'r1', stat_prefix: 'sp', decorator: { operation: 'op' }, metadata: { filter_metadata: { istio: { fields: {} } } }, ...ok }],
        },
      ],
    });
    assert.equal(t.name, 'main');
    assert.deepEqual(t.internalOnlyHeaders, ['x-internal']);
    assert.equal(t.validateClusters, false);
    assert.ok('envoy.filters.http.other' in t.perFilterConfig);
    // An optional per-route config no filter implements is skipped (Envoy: is_optional).
    assert.equal(t.filterConfigs.size, 0);
    const e = t.select(request());
    assert.ok(e);
    assert.equal(e.name, 'r1');
    assert.equal(e.kind, 'route');
    assert.equal(e.virtualHost.name, 'vh');
    assert.equal(e.virtualHost.includeRequestAttemptCount, true);
    assert.deepEqual(e.decorator, { operation: 'op', propagate: true });
    assert.equal(e.statPrefix, 'sp');
    assert.equal(e.perRequestBufferLimitBytes, 1024);
    assert.ok(e.metadata?.filter_metadata['istio']);
  });

  it('returns undefined when no route matches', () => {
    assert.equal(compile(singleHost([{ match: { path: '/only' }, route: { cluster: 'c' } }])).select(request({ path: '/other' })), undefined);
  });

  it('accepts an empty configuration', () => {
    assert.equal(compile({}).select(request()), undefined);
  });
});

describe('route table config errors', () => {
  const vh = (extra: object): object => ({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [ok], ...extra }] });
  const cases: Array<[string, object, string]> = [
    ['vhds', { vhds: { config_source: { ads: {} } } }, 'rc.vhds'],
    ['route config mirror trace_sampled', { request_mirror_policies: [{ cluster: 'm', trace_sampled: { value: true } }] }, 'rc.request_mirror_policies[0].trace_sampled'],
    ['cluster_specifier_plugins', { cluster_specifier_plugins: [{ extension: { name: 'p', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } } }] }, 'rc.cluster_specifier_plugins'],
    ['virtual host rate_limits', vh({ rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'x' } }] }] }), 'rc.virtual_hosts[0].rate_limits'],
    ['virtual host cors', vh({ cors: {} }), 'rc.virtual_hosts[0].cors'],
    ['virtual host hedge_policy', vh({ hedge_policy: {} }), 'rc.virtual_hosts[0].hedge_policy'],
    ['virtual host mirror trace_sampled', vh({ request_mirror_policies: [{ cluster: 'm', trace_sampled: { value: true } }] }), 'rc.virtual_hosts[0].request_mirror_policies[0].trace_sampled'],
    ['non_forwarding_action', singleHost([{ match: { prefix: '/' }, non_forwarding_action: {} }]), 'rc.virtual_hosts[0].routes[0].non_forwarding_action'],
    ['filter_action', singleHost([{ match: { prefix: '/' }, filter_action: {} }]), 'rc.virtual_hosts[0].routes[0].filter_action'],
  ];
  for (const [name, plain, path] of cases) {
    it(`rejects ${name} as not supported`, () => assertConfigError(plain, path, /not supported/));
  }

  it('rejects a virtual host retry_policy with an unknown retry condition', () =>
    assertConfigError(
      { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [ok], retry_policy: { retry_on: '5xx,bogus' } }] },
      'rc.virtual_hosts[0].retry_policy.retry_on',
      /unknown retry condition 'bogus'/,
    ));

  it('rejects a route without an action', () => {
    assertConfigError(singleHost([{ match: { prefix: '/' } }]), 'rc.virtual_hosts[0].routes[0]', /required/);
  });

  it('names the exact route in errors deep inside a later virtual host', () => {
    const plain = {
      virtual_hosts: [
        { name: 'a', domains: ['a.com'], routes: [ok] },
        { name: 'b', domains: ['b.com'], routes: [ok, { match: { prefix: '/', headers: [{ name: 'x', safe_regex_match: { regex: '(?<=x)' } }] }, route: { cluster: 'c' } }] },
      ],
    };
    assertConfigError(plain, 'rc.virtual_hosts[1].routes[1].match.headers[0].safe_regex_match.regex', /lookaround/);
  });
});
