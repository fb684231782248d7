import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ConfigError, parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

async function flags(adminPort: number, cluster: string, hostPort: number): Promise<string> {
  const text = (await request(adminPort, '/clusters')).body;
  const m = new RegExp(`^${cluster}::127\\.0\\.0\\.1:${hostPort}::health_flags::(.*)$`, 'm').exec(text);
  return m ? (m[1] as string) : 'missing';
}

/** Polls until `fn` returns `want` (health checks run on their own timers). */
async function eventually(fn: () => Promise<string>, want: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  let got = await fn();
  while (got !== want && Date.now() < end) {
    await sleep(20);
    got = await fn();
  }
  assert.equal(got, want);
}

const route = (cluster: string, prefix: string): string => `- match: { prefix: "${prefix}" }\n  route: { cluster: ${cluster} }`;

describe('HTTP active health checks', () => {
  const state = { a: 200, b: 200, immediate: false, trafficImmediate: false };
  let a: TestUpstream;
  let b: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    const handler = (key: 'a' | 'b') => (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/healthz') {
        const headers: Record<string, string> = state.immediate && key === 'b' ? { 'x-envoy-immediate-health-check-fail': 'true' } : {};
        res.writeHead(state[key], headers);
        res.end();
        return;
      }
      const fail = state.trafficImmediate && key === 'b' ? { 'x-envoy-immediate-health-check-fail': 'true' } : {};
      res.writeHead(200, { 'x-upstream': key, ...fail });
      res.end(key);
    };
    a = await startUpstream('a', handler('a'));
    b = await startUpstream('b', handler('b'));
    const hc = `    health_checks:
    - timeout: 0.5s
      interval: 0.04s
      no_traffic_interval: 0.04s
      unhealthy_threshold: 2
      healthy_threshold: 2
      http_health_check:
        path: /healthz
        request_headers_to_add: [{ header: { key: x-hc, value: weft } }]`;
    proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: route('svc', '/') }), staticCluster('svc', [a.port, b.port], hc)));
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await a.close();
    await b.close();
  });

  test('warming waits for the first check; the check sends Host = cluster name, Envoy/HC and the added header', async () => {
    assert.equal(await flags(proxy.adminPort, 'svc', a.port), 'healthy');
    assert.equal(await flags(proxy.adminPort, 'svc', b.port), 'healthy');
    const hcReq = a.requests.find((r) => r.url === '/healthz');
    assert.ok(hcReq);
    assert.equal(hcReq.method, 'GET');
    assert.equal(hcReq.headers.host, 'svc');
    assert.equal(hcReq.headers['user-agent'], 'Envoy/HC');
    assert.equal(hcReq.headers['x-hc'], 'weft');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.health_check.healthy'), 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.membership_healthy'), 2);
  });

  test('an unexpected status fails the host at once; traffic avoids it; it returns after healthy_threshold passes', async () => {
    state.b = 503;
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), '/failed_active_hc');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.health_check.healthy'), 1);
    assert.ok((await adminStat(proxy.adminPort, 'cluster.svc.health_check.failure')) >= 1);
    for (let i = 0; i < 6; i++) assert.equal((await request(port, '/')).headers['x-upstream'], 'a');
    state.b = 200;
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), 'healthy');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(String((await request(port, '/')).headers['x-upstream']));
    assert.deepEqual([...seen].sort(), ['a', 'b']);
    assert.ok((await adminStat(proxy.adminPort, 'cluster.svc.health_check.attempt')) >= 4);
  });

  test('x-envoy-immediate-health-check-fail on a routed response fails the host at once (passive failure)', async () => {
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), 'healthy');
    const before = await adminStat(proxy.adminPort, 'cluster.svc.health_check.passive_failure');
    state.trafficImmediate = true;
    for (let i = 0; i < 4; i++) await request(port, '/');
    state.trafficImmediate = false;
    assert.ok((await adminStat(proxy.adminPort, 'cluster.svc.health_check.passive_failure')) > before);
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), 'healthy');
  });

  test('x-envoy-immediate-health-check-fail in the check response also excludes the host', async () => {
    state.immediate = true;
    state.b = 503;
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), '/failed_active_hc/excluded_via_immediate_hc_fail');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.membership_excluded'), 1);
    state.immediate = false;
    state.b = 200;
    await eventually(() => flags(proxy.adminPort, 'svc', b.port), 'healthy');
    const json = JSON.parse((await request(proxy.adminPort, '/clusters?format=json')).body) as {
      cluster_statuses: Array<{ name: string; host_statuses: Array<{ health_status: Record<string, unknown> }> }>;
    };
    const svc = json.cluster_statuses.find((c) => c.name === 'svc');
    assert.deepEqual(svc?.host_statuses[1]?.health_status, { eds_health_status: 'HEALTHY' });
  });
});

describe('TCP active health checks', () => {
  let reply = 'pong';
  let server: net.Server;
  let serverPort: number;
  let deadPort: number;
  let proxy: TestProxy;

  before(async () => {
    server = net.createServer((s) => {
      s.on('data', (d) => {
        if (d.toString() === 'ping') s.write(reply);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    serverPort = (server.address() as net.AddressInfo).port;
    deadPort = await freePort();
    const hc = `    health_checks:
    - timeout: 0.1s
      interval: 0.04s
      no_traffic_interval: 0.04s
      unhealthy_threshold: 1
      healthy_threshold: 1
      tcp_health_check:
        send: { text: "70696e67" }
        receive: [{ text: "706f" }, { text: "6e67" }]`;
    proxy = await startProxyFromYaml(
      bootstrap(httpListener({ routes: route('tcp', '/') }), staticCluster('tcp', [serverPort, deadPort], hc)),
    );
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('a host answering the receive blocks in order is healthy; a refused connection fails', async () => {
    assert.equal(await flags(proxy.adminPort, 'tcp', serverPort), 'healthy');
    assert.equal(await flags(proxy.adminPort, 'tcp', deadPort), '/failed_active_hc');
    assert.ok((await adminStat(proxy.adminPort, 'cluster.tcp.health_check.network_failure')) >= 1);
  });

  test('a wrong answer times out: failed with active_hc_timeout, then healthy again', async () => {
    reply = 'nope';
    await eventually(() => flags(proxy.adminPort, 'tcp', serverPort), '/failed_active_hc/active_hc_timeout');
    reply = 'pong';
    await eventually(() => flags(proxy.adminPort, 'tcp', serverPort), 'healthy');
  });
});

describe('gRPC active health checks (grpc.health.v1 served by @grpc/grpc-js)', () => {
  let status = 'SERVING';
  const seen: Array<{ service: string; authority: string }> = [];
  let server: grpc.Server;
  let grpcPort: number;
  let proxy: TestProxy;

  before(async () => {
    const def = protoLoader.loadSync(path.join(fixtures, 'grpc/health/v1/health.proto'), { keepCase: true, enums: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    server = new grpc.Server();
    server.addService(pkg.grpc.health.v1.Health.service, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        seen.push({ service: call.request.service, authority: String(call.metadata.get(':authority')[0] ?? call.getPath()) });
        cb(null, { status });
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const hc = `    health_checks:
    - timeout: 0.5s
      interval: 0.04s
      no_traffic_interval: 0.04s
      unhealthy_threshold: 1
      healthy_threshold: 1
      grpc_health_check: { service_name: pkg.Svc }`;
    proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: route('grpcsvc', '/') }), staticCluster('grpcsvc', [grpcPort], hc)));
  });

  after(async () => {
    await proxy.close();
    server.forceShutdown();
  });

  test('SERVING is healthy, NOT_SERVING fails, and back', async () => {
    assert.equal(await flags(proxy.adminPort, 'grpcsvc', grpcPort), 'healthy');
    assert.equal(seen[0]?.service, 'pkg.Svc');
    status = 'NOT_SERVING';
    await eventually(() => flags(proxy.adminPort, 'grpcsvc', grpcPort), '/failed_active_hc');
    status = 'SERVING';
    await eventually(() => flags(proxy.adminPort, 'grpcsvc', grpcPort), 'healthy');
    assert.ok((await adminStat(proxy.adminPort, 'cluster.grpcsvc.health_check.success')) >= 2);
  });
});

describe('health checks and the load balancer', () => {
  test('with panic disabled, a cluster whose only host fails its checks answers 503 no healthy upstream', async () => {
    const deadPort = await freePort();
    const hc = `    common_lb_config: { healthy_panic_threshold: { value: 0 } }
    health_checks:
    - timeout: 0.2s
      interval: 1s
      unhealthy_threshold: 1
      healthy_threshold: 1
      tcp_health_check: {}`;
    const proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: route('dead', '/') }), staticCluster('dead', [deadPort], hc)));
    try {
      const res = await request(proxy.port('http'), '/');
      assert.equal(res.status, 503);
      assert.equal(res.body, 'no healthy upstream');
      assert.equal(await flags(proxy.adminPort, 'dead', deadPort), '/failed_active_hc');
    } finally {
      await proxy.close();
    }
  });
});

describe('HTTP health check service_name_matcher', () => {
  test('the answer must name a matching cluster in x-envoy-upstream-healthchecked-cluster (verify_cluster counted)', async () => {
    let service = 'orders-v1';
    const up = await startUpstream('svc', (_req, res) => {
      res.writeHead(200, { 'x-envoy-upstream-healthchecked-cluster': service });
      res.end();
    });
    const hc = `    health_checks:
    - timeout: 0.5s
      interval: 0.04s
      no_traffic_interval: 0.04s
      unhealthy_threshold: 1
      healthy_threshold: 1
      http_health_check: { path: /hc, service_name_matcher: { prefix: orders } }`;
    const proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: route('verify', '/') }), staticCluster('verify', [up.port], hc)));
    try {
      assert.equal(await flags(proxy.adminPort, 'verify', up.port), 'healthy');
      service = 'payments';
      await eventually(() => flags(proxy.adminPort, 'verify', up.port), '/failed_active_hc');
      assert.ok((await adminStat(proxy.adminPort, 'cluster.verify.health_check.verify_cluster')) >= 2);
    } finally {
      await proxy.close();
      await up.close();
    }
  });
});

describe('invalid health check and outlier detection configs are refused with the field path', () => {
  const refuse = (extra: string): string => {
    const yaml = bootstrap(httpListener({ routes: route('svc', '/') }), staticCluster('svc', [1], extra));
    try {
      new ProxyServer(parseBootstrapText(yaml, 'b.yaml'), { serveTraffic: false, concurrency: 1, drainTimeMs: 0 });
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
    assert.fail('accepted');
  };

  test('an HTTP health check without a path', () => {
    const msg = refuse('    health_checks: [{ timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { host: x } }]');
    // The bootstrap parser's proto validation (PGV) catches this one before the cluster factory does.
    assert.match(msg, /static_resources\.clusters\[0\]\.health_checks\[0\]\.http_health_check\.path: value length must be at least 1/);
  });

  test('an event log path (health check event logging is not implemented)', () => {
    const msg = refuse('    health_checks: [{ timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, event_log_path: /tmp/hc, tcp_health_check: {} }]');
    assert.equal(msg, 'static_resources.clusters[0].health_checks[0].event_log_path: is not supported yet');
  });

  test('max_ejection_time below base_ejection_time', () => {
    const msg = refuse('    outlier_detection: { base_ejection_time: 60s, max_ejection_time: 10s }');
    assert.equal(msg, "static_resources.clusters[0].outlier_detection.max_ejection_time: outlier detector's max_ejection_time cannot be smaller than base_ejection_time");
  });
});
