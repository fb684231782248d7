import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { bootstrap, staticCluster } from './yaml.js';

interface Echo {
  upstream: string;
  url: string;
  headers: Record<string, string>;
}

describe('route configuration: virtual hosts, matches, actions, rewrites, headers, load balancing', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let c: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    c = await startUpstream('c');
    const yaml = bootstrap(
      `
  - name: http
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: routing
          route_config:
            name: rc
            request_headers_to_add: [{ header: { key: x-rc, value: rc } }]
            virtual_hosts:
            - name: exact
              domains: ["api.example.com"]
              routes: [{ match: { prefix: "/" }, route: { cluster: b } }]
            - name: wildcard
              domains: ["*.example.com"]
              routes: [{ match: { prefix: "/" }, route: { cluster: c } }]
            - name: default
              domains: ["*"]
              request_headers_to_add: [{ header: { key: x-vhost, value: vh } }]
              response_headers_to_add: [{ header: { key: x-resp, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } }]
              routes:
              - match: { prefix: "/weighted" }
                route: { weighted_clusters: { clusters: [{ name: a, weight: 50 }, { name: b, weight: 50 }] } }
              - match: { path: "/redirect" }
                redirect: { https_redirect: true, response_code: FOUND }
              - match: { path: "/direct" }
                direct_response: { status: 418, body: { inline_string: "teapot" } }
              - match: { prefix: "/api/" }
                route: { cluster: a, prefix_rewrite: "/v1/" }
              - match: { safe_regex: { regex: "/users/([0-9]+)" } }
                route: { cluster: a, regex_rewrite: { pattern: { regex: "^/users/([0-9]+)$" }, substitution: "/u?id=\\\\1" } }
              - match: { prefix: "/hostrw" }
                route: { cluster: a, host_rewrite_literal: rewritten.example }
              - match: { prefix: "/by-header" }
                route: { cluster_header: x-target-cluster }
              - match: { prefix: "/hdr", headers: [{ name: x-canary, string_match: { exact: "yes" } }] }
                route: { cluster: c }
              - match: { prefix: "/hdr" }
                route: { cluster: a }
              - match: { prefix: "/q", query_parameters: [{ name: debug, present_match: true }] }
                route: { cluster: c }
              - match: { prefix: "/mut" }
                request_headers_to_add: [{ header: { key: x-route, value: r } }]
                request_headers_to_remove: [x-remove-me]
                route: { cluster: a }
              - match: { prefix: "/rr" }
                route: { cluster: rr }
              - match: { prefix: "/ring" }
                route: { cluster: ring, hash_policy: [{ header: { header_name: x-user } }] }
              - match: { prefix: "/maglev" }
                route: { cluster: maglev, hash_policy: [{ header: { header_name: x-user } }] }
              - match: { prefix: "/dns" }
                route: { cluster: dns }
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`,
      staticCluster('a', [a.port]) +
        staticCluster('b', [b.port]) +
        staticCluster('c', [c.port]) +
        staticCluster('rr', [a.port, b.port, c.port], '    lb_policy: ROUND_ROBIN') +
        staticCluster('ring', [a.port, b.port, c.port], '    lb_policy: RING_HASH') +
        staticCluster('maglev', [a.port, b.port, c.port], '    lb_policy: MAGLEV') +
        `
  - name: dns
    type: STRICT_DNS
    connect_timeout: 0.5s
    dns_lookup_family: V4_ONLY
    load_assignment:
      cluster_name: dns
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: localhost, port_value: ${c.port} } } }`,
    );
    proxy = await startProxyFromYaml(yaml);
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  async function echo(path: string, headers: Record<string, string> = {}): Promise<Echo> {
    const res = await request(port, path, { headers });
    assert.equal(res.status, 200, `status for ${path}: ${res.body}`);
    return JSON.parse(res.body) as Echo;
  }

  test('selects virtual hosts by exact, then wildcard suffix, then *', async () => {
    assert.equal((await echo('/', { host: 'api.example.com' })).upstream, 'b');
    assert.equal((await echo('/', { host: 'www.example.com' })).upstream, 'c');
    assert.equal((await echo('/hdr', { host: 'other.org' })).upstream, 'a');
  });

  test('splits traffic across weighted clusters', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const e = await echo('/weighted');
      seen.set(e.upstream, (seen.get(e.upstream) ?? 0) + 1);
    }
    assert.ok((seen.get('a') ?? 0) > 50 && (seen.get('b') ?? 0) > 50, JSON.stringify([...seen]));
  });

  test('redirects to https with the configured code', async () => {
    const res = await request(port, '/redirect', { headers: { host: 'shop.test' } });
    assert.equal(res.status, 302);
    assert.equal(res.headers['location'], 'https://shop.test/redirect');
  });

  test('answers a direct response', async () => {
    const res = await request(port, '/direct');
    assert.equal(res.status, 418);
    assert.equal(res.body, 'teapot');
  });

  test('rewrites the path prefix and records the original path', async () => {
    const e = await echo('/api/items?x=1');
    assert.equal(e.url, '/v1/items?x=1');
    assert.equal(e.headers['x-envoy-original-path'], '/api/items?x=1');
  });

  test('rewrites the path with a regex and capture groups', async () => {
    assert.equal((await echo('/users/42')).url, '/u?id=42');
  });

  test('rewrites the host', async () => {
    assert.equal((await echo('/hostrw')).headers['host'], 'rewritten.example');
  });

  test('routes to the cluster named in a header, 503 when it does not exist', async () => {
    assert.equal((await echo('/by-header', { 'x-target-cluster': 'c' })).upstream, 'c');
    const res = await request(port, '/by-header', { headers: { 'x-target-cluster': 'nope' } });
    assert.equal(res.status, 503);
  });

  test('matches on headers and query parameters', async () => {
    assert.equal((await echo('/hdr', { 'x-canary': 'yes' })).upstream, 'c');
    assert.equal((await echo('/hdr', { 'x-canary': 'no' })).upstream, 'a');
    assert.equal((await echo('/q?debug')).upstream, 'c');
  });

  test('adds and removes request headers at route, vhost and route-config level, and response headers', async () => {
    const res = await request(port, '/mut', { headers: { 'x-remove-me': '1' } });
    const e = JSON.parse(res.body) as Echo;
    assert.equal(e.headers['x-route'], 'r');
    assert.equal(e.headers['x-vhost'], 'vh');
    assert.equal(e.headers['x-rc'], 'rc');
    assert.equal(e.headers['x-remove-me'], undefined);
    assert.equal(res.headers['x-resp'], '127.0.0.1');
  });

  test('round robin spreads requests over all hosts', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await echo('/rr')).upstream);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  test('ring hash and maglev keep a user on one host', async () => {
    for (const path of ['/ring', '/maglev']) {
      const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
      const chosen = new Set<string>();
      for (const u of users) {
        const first = (await echo(path, { 'x-user': u })).upstream;
        chosen.add(first);
        for (let i = 0; i < 3; i++) assert.equal((await echo(path, { 'x-user': u })).upstream, first);
      }
      assert.ok(chosen.size >= 2, `${path} used only ${[...chosen].join()}`);
    }
  });

  test('resolves STRICT_DNS clusters', async () => {
    assert.equal((await echo('/dns')).upstream, 'c');
  });
});
