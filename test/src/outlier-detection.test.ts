import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const OUTLIER = `    outlier_detection:
      consecutive_5xx: 3
      interval: 0.05s
      base_ejection_time: 0.3s
      max_ejection_percent: 50`;

async function hostFlags(adminPort: number, hostPort: number): Promise<string> {
  const text = (await request(adminPort, '/clusters')).body;
  const m = new RegExp(`^svc::127\\.0\\.0\\.1:${hostPort}::health_flags::(.*)$`, 'm').exec(text);
  return m ? (m[1] as string) : 'missing';
}

describe('outlier detection over real traffic', () => {
  let up: TestUpstream;
  let deadPort: number;
  let proxy: TestProxy;
  let port: number;
  let revived: http.Server | undefined;

  before(async () => {
    up = await startUpstream('live');
    deadPort = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: svc }' }), staticCluster('svc', [up.port, deadPort], OUTLIER)),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await up.close();
    await new Promise<void>((r) => (revived ? revived.close(() => r()) : r()));
  });

  test('connect failures eject the dead host, traffic goes to the live one, the host comes back after the ejection time', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(port, '/')).status);
    // Round robin alternates: three 503 (connect failure) from the dead host, then it is ejected.
    assert.deepEqual(statuses.filter((s) => s === 503).length, 3);
    assert.equal(await hostFlags(proxy.adminPort, deadPort), '/failed_outlier_check');
    assert.equal(await hostFlags(proxy.adminPort, up.port), 'healthy');
    const text = (await request(proxy.adminPort, '/clusters')).body;
    assert.match(text, /^svc::outlier::success_rate_average::-1$/m);
    assert.match(text, new RegExp(`^svc::127\\.0\\.0\\.1:${deadPort}::success_rate::-1$`, 'm'));
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.outlier_detection.ejections_active'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.membership_healthy'), 1);
    for (let i = 0; i < 8; i++) assert.equal((await request(port, '/')).status, 200);

    revived = http.createServer((_req, res) => res.end('back'));
    await new Promise<void>((r) => revived?.listen(deadPort, '127.0.0.1', r));
    await sleep(450); // base_ejection_time 0.3 s, swept every 0.05 s
    assert.equal(await hostFlags(proxy.adminPort, deadPort), 'healthy');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.outlier_detection.ejections_active'), 0);
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await request(port, '/')).body.slice(0, 4));
    assert.ok(bodies.has('back'), 'the returned host serves traffic again');
  });
});

describe('outlier detection from response codes reported by the router', () => {
  test('consecutive 5xx (and gRPC UNAVAILABLE) eject a host; the router stops sending it traffic; it returns', async () => {
    let mode: 'http' | 'grpc' | 'ok' = 'http';
    const bad = await startUpstream('bad', (_req, res) => {
      if (mode === 'http') res.writeHead(503).end('down');
      else if (mode === 'grpc') res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '14', 'content-length': '0' }).end();
      else res.end('bad-recovered');
    });
    const good = await startUpstream('good', (_req, res) => res.end('good'));
    const proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: svc }' }),
        staticCluster('svc', [bad.port, good.port], OUTLIER.replace('0.3s', '0.4s')),
      ),
    );
    try {
      const port = proxy.port('http');
      const ejectedAfter = async (): Promise<void> => {
        for (let i = 0; i < 10 && (await hostFlags(proxy.adminPort, bad.port)) === 'healthy'; i++) await request(port, '/');
        assert.equal(await hostFlags(proxy.adminPort, bad.port), '/failed_outlier_check');
        for (let i = 0; i < 6; i++) assert.equal((await request(port, '/')).body, 'good');
      };
      await ejectedAfter();
      assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
      mode = 'grpc';
      await sleep(600);
      assert.equal(await hostFlags(proxy.adminPort, bad.port), 'healthy');
      await ejectedAfter();
      mode = 'ok';
      await sleep(1000); // the second ejection lasts twice the base time
      const bodies = new Set<string>();
      for (let i = 0; i < 4; i++) bodies.add((await request(port, '/')).body);
      assert.ok(bodies.has('bad-recovered'));
    } finally {
      await proxy.close();
      await bad.close();
      await good.close();
    }
  });
});
