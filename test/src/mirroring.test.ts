import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('request mirroring (request_mirror_policies)', () => {
  let primary: TestUpstream;
  let mirror: TestUpstream;
  let slowMirror: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    primary = await startUpstream('primary');
    mirror = await startUpstream('mirror', (_req, res) => {
      res.writeHead(500);
      res.end('mirror answers are ignored');
    });
    slowMirror = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('late'), 2000));
    const closed = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          domains: '"*"',
          vhostExtra: 'request_mirror_policies: [{ cluster: mirror }]',
          routes: `
- match: { prefix: "/route-level" }
  route: { cluster: primary, request_mirror_policies: [{ cluster: mirror, disable_shadow_host_suffix_append: true }, { cluster: slow }] }
- match: { prefix: "/never" }
  route: { cluster: primary, request_mirror_policies: [{ cluster: mirror, runtime_fraction: { default_value: { numerator: 0 } } }] }
- match: { prefix: "/dead-mirror" }
  route: { cluster: primary, request_mirror_policies: [{ cluster: dead }] }
- match: { prefix: "/by-header" }
  route: { cluster: primary, request_mirror_policies: [{ cluster_header: x-mirror-to }] }
- match: { prefix: "/" }
  route: { cluster: primary }`,
        }),
        staticCluster('primary', [primary.port]) + staticCluster('mirror', [mirror.port]) + staticCluster('slow', [slowMirror.port]) + staticCluster('dead', [closed]),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await Promise.all([primary.close(), mirror.close(), slowMirror.close()]);
  });

  test('the virtual host policy copies the request, body included, with a -shadow host; the primary answer is returned', async () => {
    const before = mirror.requests.length;
    const res = await request(port, '/vh?x=1', { method: 'POST', body: 'hello mirror', host: '127.0.0.1', headers: { host: 'svc.local:8080' } });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).upstream, 'primary');
    await waitFor(() => mirror.requests.length > before);
    const copy = mirror.requests[mirror.requests.length - 1];
    assert.equal(copy?.method, 'POST');
    assert.equal(copy?.url, '/vh?x=1');
    assert.equal(copy?.headers.host, 'svc.local-shadow:8080');
    assert.equal(copy?.body.toString(), 'hello mirror');
  });

  test('route policies override the virtual host: two mirrors, suffix disabled on one, a slow mirror never delays the answer', async () => {
    const m0 = mirror.requests.length;
    const s0 = slowMirror.requests.length;
    const started = Date.now();
    const res = await request(port, '/route-level', { headers: { host: 'svc' } });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 1500, 'the primary did not wait for the slow mirror');
    await waitFor(() => mirror.requests.length > m0 && slowMirror.requests.length > s0);
    assert.equal(mirror.requests[mirror.requests.length - 1]?.headers.host, 'svc');
    assert.equal(slowMirror.requests[slowMirror.requests.length - 1]?.headers.host, 'svc-shadow');
  });

  test('runtime_fraction 0 never mirrors; a mirror cluster that refuses connections does not affect the primary', async () => {
    const before = mirror.requests.length;
    for (let i = 0; i < 5; i++) assert.equal((await request(port, '/never')).status, 200);
    const fails = await adminStat(proxy.adminPort, 'cluster.dead.upstream_cx_connect_fail');
    for (let i = 0; i < 3; i++) assert.equal((await request(port, '/dead-mirror', { method: 'POST', body: 'x' })).status, 200);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(mirror.requests.length, before);
    assert.ok((await adminStat(proxy.adminPort, 'cluster.dead.upstream_cx_connect_fail')) > fails);
  });

  test('cluster_header names the mirror cluster per request; an unknown one is skipped', async () => {
    const before = mirror.requests.length;
    assert.equal((await request(port, '/by-header', { headers: { 'x-mirror-to': 'mirror' } })).status, 200);
    assert.equal((await request(port, '/by-header', { headers: { 'x-mirror-to': 'nope' } })).status, 200);
    await waitFor(() => mirror.requests.length === before + 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.mirror.upstream_rq_500') >= 1, true);
  });
});
