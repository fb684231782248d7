import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { configError } from './config-error.js';
import { adminStat } from './stats.js';
import { bootstrap, fileAccessLog, httpListener, staticCluster } from './yaml.js';

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const fault = (body: string): string => `- name: envoy.filters.http.fault\n  typed_config: { "@type": ${FAULT}${body ? `, ${body}` : ''} }`;
const toA = '- match: { prefix: "/" }\n  route: { cluster: a }';

describe('envoy.filters.http.fault', () => {
  let up: TestUpstream;
  let proxy: TestProxy;
  let dir: string;
  let logFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-fault-'));
    logFile = path.join(dir, 'access.log');
    up = await startUpstream('a');
    const hdrRoutes = `- match: { prefix: "/fixed" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.fault: { "@type": ${FAULT}, delay: { fixed_delay: 0.15s, percentage: { numerator: 100 } } }
${toA}`;
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          listenerName: 'hdr',
          statPrefix: 'hdr',
          filters: fault('abort: { header_abort: {}, percentage: { numerator: 100 } }, delay: { header_delay: {}, percentage: { numerator: 100 } }'),
          hcmExtra: fileAccessLog(logFile, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS%'),
          routes: hdrRoutes,
        }) +
          httpListener({ listenerName: 'abort', statPrefix: 'abort', filters: fault('abort: { http_status: 503, percentage: { numerator: 100 } }'), routes: toA }) +
          httpListener({
            listenerName: 'vh',
            statPrefix: 'vh',
            filters: fault('abort: { http_status: 503, percentage: { numerator: 100 } }'),
            vhostExtra: `typed_per_filter_config:\n  envoy.filters.http.fault: { "@type": ${FAULT}, abort: { http_status: 503, percentage: { numerator: 0 } } }`,
            routes: `- match: { prefix: "/route-level" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.fault: { "@type": ${FAULT}, abort: { http_status: 429, percentage: { numerator: 100 } } }
${toA}`,
          }) +
          httpListener({ listenerName: 'grpc', statPrefix: 'grpc', filters: fault('abort: { grpc_status: 14, percentage: { numerator: 100 } }'), routes: toA }) +
          httpListener({
            listenerName: 'max',
            statPrefix: 'max',
            filters: fault('max_active_faults: 1, delay: { fixed_delay: 0.3s, percentage: { numerator: 100 } }, headers: [{ name: x-fault, present_match: true }]'),
            routes: toA,
          }),
        staticCluster('a', [up.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);
  const lastLog = (): string => {
    flushAllAccessLogs();
    return readFileSync(logFile, 'utf8').trim().split('\n').at(-1) ?? '';
  };

  test('abort at 100%: 503 "fault filter abort" from the proxy, aborts_injected counted, upstream never called', async () => {
    const before = up.requests.length;
    const res = await request(proxy.port('abort'), '/x');
    assert.equal(res.status, 503);
    assert.equal(res.body, 'fault filter abort');
    assert.equal(up.requests.length, before);
    assert.equal(await stat('http.abort.fault.aborts_injected'), 1);
    assert.equal(await stat('http.abort.fault.active_faults'), 0);
  });

  test('per-route override: the virtual host sets 0% (no abort), a route sets its own 429 at 100%', async () => {
    // The vhost config (0%) overrides the filter's 100% for every route of the virtual host ...
    const res = await request(proxy.port('vh'), '/vhost-level');
    assert.equal(res.status, 200);
    // ... and the route's own config is more specific still.
    const r2 = await request(proxy.port('vh'), '/route-level');
    assert.equal(r2.status, 429);
    assert.equal(r2.body, 'fault filter abort');
  });

  test('header-controlled abort: x-envoy-fault-abort-request picks the status; FI in the access log', async () => {
    const res = await request(proxy.port('hdr'), '/h', { headers: { 'x-envoy-fault-abort-request': '418' } });
    assert.equal(res.status, 418);
    assert.equal(lastLog(), '/h 418 FI');
    // Percentage header 0 (capped by the configured 100): no abort.
    const none = await request(proxy.port('hdr'), '/h0', { headers: { 'x-envoy-fault-abort-request': '418', 'x-envoy-fault-abort-request-percentage': '0' } });
    assert.equal(none.status, 200);
    // An out-of-range status is ignored.
    assert.equal((await request(proxy.port('hdr'), '/h', { headers: { 'x-envoy-fault-abort-request': '700' } })).status, 200);
    // No header: no fault at all.
    assert.equal((await request(proxy.port('hdr'), '/plain')).status, 200);
    assert.equal(await stat('http.hdr.fault.aborts_injected'), 1);
  });

  test('header-controlled delay: the request reaches the upstream after x-envoy-fault-delay-request ms; DI logged', async () => {
    const t0 = performance.now();
    const res = await request(proxy.port('hdr'), '/d', { headers: { 'x-envoy-fault-delay-request': '200' } });
    const elapsed = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(elapsed >= 195, `elapsed ${elapsed}`);
    assert.equal(lastLog(), '/d 200 DI');
    const fast = performance.now();
    await request(proxy.port('hdr'), '/nodelay');
    assert.ok(performance.now() - fast < 150);
  });

  test('a delay followed by a header abort: both flags, one active fault while delayed', async () => {
    const res = await request(proxy.port('hdr'), '/da', { headers: { 'x-envoy-fault-delay-request': '50', 'x-envoy-fault-abort-request': '500' } });
    assert.equal(res.status, 500);
    assert.equal(lastLog(), '/da 500 DI,FI');
  });

  test('per-route fixed delay on /fixed', async () => {
    const t0 = performance.now();
    const res = await request(proxy.port('hdr'), '/fixed');
    assert.equal(res.status, 200);
    assert.ok(performance.now() - t0 >= 145);
  });

  test('gRPC abort: HTTP 200 with grpc-status 14 for a gRPC request', async () => {
    const res = await request(proxy.port('grpc'), '/pkg.Svc/M', { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: '' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['grpc-status'], '14');
    assert.equal(res.headers['grpc-message'], 'fault filter abort');
  });

  test('a client that goes away during a delay cancels it: the upstream never sees the request, active_faults back to 0', async () => {
    const before = up.requests.length;
    const s = net.connect(proxy.port('max'), '127.0.0.1');
    await new Promise<void>((r) => s.on('connect', r));
    s.write('GET /gone HTTP/1.1\r\nHost: x\r\nx-fault: 1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await stat('http.max.fault.active_faults'), 1);
    // max_active_faults 1: a second matching request is not delayed (faults_overflow).
    const t0 = performance.now();
    assert.equal((await request(proxy.port('max'), '/second', { headers: { 'x-fault': '1' } })).status, 200);
    assert.ok(performance.now() - t0 < 250);
    assert.equal(await stat('http.max.fault.faults_overflow'), 1);
    s.destroy();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await stat('http.max.fault.active_faults'), 0);
    assert.equal(up.requests.filter((r) => r.url === '/gone').length, 0);
    assert.equal(up.requests.length, before + 1);
  });

  test('invalid configs are refused with their field path', () => {
    const L = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
    const bad = (o: Parameters<typeof httpListener>[0]): string => configError(bootstrap(httpListener(o), staticCluster('a', [1])));
    // Proto validation rules already refuse it while loading (with the file line).
    assert.match(bad({ filters: fault('abort: { http_status: 700, percentage: { numerator: 1 } }'), routes: toA }), /http_filters\[0\]\.typed_config\.abort\.http_status: value must be less than 600/);
    assert.match(bad({ filters: fault('response_rate_limit: { fixed_limit: { limit_kbps: 1 } }'), routes: toA }), /http_filters\[0\]\.typed_config\.response_rate_limit: is not supported yet/);
    // A per-route config is parsed at load time: its errors carry the route's path.
    const perRoute = `- match: { prefix: "/" }\n  route: { cluster: a }\n  typed_per_filter_config:\n    envoy.filters.http.fault: { "@type": ${FAULT}, response_rate_limit: { fixed_limit: { limit_kbps: 1 } } }`;
    assert.equal(
      bad({ filters: fault(''), routes: perRoute }),
      `${L}.route_config.virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.fault"].response_rate_limit: is not supported yet`,
    );
    // A per-route config type no filter implements is refused unless wrapped as optional.
    const unknown = `- match: { prefix: "/" }\n  route: { cluster: a }\n  typed_per_filter_config:\n    x: { "@type": type.googleapis.com/google.protobuf.Empty }`;
    assert.match(bad({ routes: unknown }), /routes\[0\]\.typed_per_filter_config\.x\.@type: no HTTP filter implements per-route config 'google\.protobuf\.Empty'/);
  });
});
