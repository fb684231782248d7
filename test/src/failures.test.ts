import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

describe('failure behaviour: every request gets one response with Envoy response flags', () => {
  let dir: string;
  let logFile: string;
  let up: TestUpstream;
  let resetter: net.Server;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-failures-'));
    logFile = path.join(dir, 'access.log');
    up = await startUpstream('a');
    resetter = net.createServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
    const resetPort = (resetter.address() as net.AddressInfo).port;
    const closedPort = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          hcmExtra: `access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%\\n" } }`,
          routes: `
- match: { prefix: "/ok" }
  route: { cluster: a }
- match: { prefix: "/unhealthy" }
  route: { cluster: unhealthy }
- match: { prefix: "/refused" }
  route: { cluster: refused }
- match: { prefix: "/reset" }
  route: { cluster: reset }`,
          domains: '"*"',
        }),
        staticCluster('a', [up.port]) +
          staticCluster('refused', [closedPort]) +
          staticCluster('reset', [resetPort]) +
          `
  - name: unhealthy
    type: STATIC
    connect_timeout: 0.5s
    common_lb_config: { healthy_panic_threshold: { value: 0 } }
    load_assignment:
      cluster_name: unhealthy
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${up.port} } } }
          health_status: UNHEALTHY`,
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await up.close();
    resetter.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function logLines(): string[] {
    flushAllAccessLogs();
    return readFileSync(logFile, 'utf8').trim().split('\n');
  }

  test('no route → 404 NR', async () => {
    const res = await request(port, '/nothing-here');
    assert.equal(res.status, 404);
    assert.ok(logLines().includes('/nothing-here 404 NR -'));
  });

  test('no healthy upstream → 503 UH', async () => {
    const res = await request(port, '/unhealthy');
    assert.equal(res.status, 503);
    assert.equal(res.body, 'no healthy upstream');
    assert.ok(logLines().includes('/unhealthy 503 UH unhealthy'));
  });

  test('connect failure → 503 UF with the transport failure reason', async () => {
    const res = await request(port, '/refused');
    assert.equal(res.status, 503);
    assert.match(res.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/);
    assert.ok(logLines().includes('/refused 503 UF refused'));
  });

  test('upstream reset before headers → 503 UC', async () => {
    const res = await request(port, '/reset');
    assert.equal(res.status, 503);
    assert.match(res.body, /connection termination/);
    assert.ok(logLines().includes('/reset 503 UC reset'));
  });

  test('a successful request logs no flag', async () => {
    const res = await request(port, '/ok');
    assert.equal(res.status, 200);
    assert.ok(logLines().includes('/ok 200 - a'));
  });
});
