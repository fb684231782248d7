import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const CORS_FILTER = '- name: envoy.filters.http.cors\n  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }';

describe('envoy.filters.http.cors', () => {
  let up: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    up = await startUpstream('a');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          statPrefix: 'cors',
          filters: CORS_FILTER,
          routeConfigExtra: `typed_per_filter_config:\n  envoy.filters.http.cors: { "@type": ${POLICY}, max_age: "600" }`,
          vhostExtra: `typed_per_filter_config:
  envoy.filters.http.cors:
    "@type": ${POLICY}
    allow_origin_string_match: [{ exact: "https://app.example" }, { suffix: ".trusted.example" }]
    allow_methods: "GET, PUT"
    allow_headers: "content-type, x-custom"
    expose_headers: "x-exposed"
    allow_credentials: true
    allow_private_network_access: true`,
          routes: `- match: { prefix: "/strict" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.cors: { "@type": ${POLICY}, allow_origin_string_match: [{ exact: "https://only.example" }], forward_not_matching_preflights: false, allow_methods: "*" }
- match: { prefix: "/shadow" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.cors: { "@type": ${POLICY}, filter_enabled: { default_value: { numerator: 0 } }, shadow_enabled: { default_value: { numerator: 100 } } }
- match: { prefix: "/" }
  route: { cluster: a }`,
        }),
        staticCluster('a', [up.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);
  const preflight = (path: string, origin: string, extra: Record<string, string> = {}): ReturnType<typeof request> =>
    request(proxy.port('http'), path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', ...extra } });

  test('a preflight from an allowed origin is answered 200 by the proxy with the merged policy', async () => {
    const before = up.requests.length;
    const res = await preflight('/p', 'https://app.example', { 'access-control-request-private-network': 'true' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(res.headers['access-control-allow-headers'], 'content-type, x-custom');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-private-network'], 'true');
    // max_age comes from the route configuration level.
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.equal(res.headers['access-control-expose-headers'], undefined);
    assert.equal(up.requests.length, before);
  });

  test('a simple request from an allowed origin gets allow-origin, credentials and expose-headers on the response', async () => {
    const res = await request(proxy.port('http'), '/simple', { headers: { origin: 'https://x.trusted.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://x.trusted.example');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-expose-headers'], 'x-exposed');
    const plain = await request(proxy.port('http'), '/simple');
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
  });

  test('a disallowed origin: no CORS headers; its preflight is forwarded upstream by default', async () => {
    const before = up.requests.length;
    const res = await preflight('/p', 'https://evil.example');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'a');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(up.requests.length, before + 1);
    const simple = await request(proxy.port('http'), '/simple', { headers: { origin: 'https://evil.example' } });
    assert.equal(simple.headers['access-control-allow-origin'], undefined);
  });

  test('forward_not_matching_preflights false: the proxy answers a non-matching preflight without allow-origin; "*" methods echo the request', async () => {
    const before = up.requests.length;
    const res = await preflight('/strict', 'https://app.example');
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-methods'], 'PUT');
    assert.equal(up.requests.length, before);
    const ok = await preflight('/strict', 'https://only.example');
    assert.equal(ok.headers['access-control-allow-origin'], 'https://only.example');
  });

  test('shadow mode counts origins but adds nothing; origin_valid / origin_invalid stats', async () => {
    const v0 = await stat('http.cors.cors.origin_valid');
    const i0 = await stat('http.cors.cors.origin_invalid');
    const res = await request(proxy.port('http'), '/shadow', { headers: { origin: 'https://nope.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    await request(proxy.port('http'), '/simple', { headers: { origin: 'https://app.example' } });
    assert.equal(await stat('http.cors.cors.origin_invalid'), i0 + 1);
    assert.equal(await stat('http.cors.cors.origin_valid'), v0 + 1);
  });
});
