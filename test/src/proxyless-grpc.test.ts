import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { IstioSnapshotProvider, startControlPlane, startIstioSource, type RunningControlPlane, type RunningIstioSource } from '@weft/control-plane';
import { eventually } from './mesh-fixture.js';

// Proxyless gRPC end to end: the control plane translates Istio resources from a --config-dir for a real
// @grpc/grpc-js-xds client (node metadata GENERATOR=grpc) that dials xds:///reviews.default.svc.cluster.local:9080.
// register() and the bootstrap are process-global; node:test runs each file in its own process.

const TARGET = 'xds:///reviews.default.svc.cluster.local:9080';
const identity = (b: Buffer): Buffer => b;
const method = (name: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path: `/test.Echo/${name}`, requestStream: false, responseStream: false,
  requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
});
const METHODS = ['Say', 'Flaky', 'FlakyNoRetry', 'Slow'] as const;
const ECHO: grpc.ServiceDefinition = Object.fromEntries(METHODS.map((m) => [m, method(m)]));

interface Backend {
  readonly tag: string;
  readonly server: grpc.Server;
  readonly port: number;
  /** Calls received per method. */
  readonly calls: Map<string, number>;
}

/** An echo server answering its tag; Flaky* fail every odd call with UNAVAILABLE; Slow answers after 2 s. */
async function startBackend(tag: string): Promise<Backend> {
  const server = new grpc.Server();
  const calls = new Map<string, number>();
  const handler = (name: string) => (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void => {
    const n = (calls.get(name) ?? 0) + 1;
    calls.set(name, n);
    if (name.startsWith('Flaky') && n % 2 === 1) return cb({ code: grpc.status.UNAVAILABLE, details: 'flaky' });
    if (name === 'Slow') {
      setTimeout(() => cb(null, Buffer.from(tag)), 2000).unref();
      return;
    }
    cb(null, Buffer.from(tag));
  };
  server.addService(ECHO, Object.fromEntries(METHODS.map((m) => [m, handler(m)])));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { tag, server, port, calls };
}

function services(v1: Backend, v2: Backend, r1: Backend, r2: Backend, extraV1?: Backend): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 9080, name: grpc, protocol: GRPC }]
  endpoints:
  - { address: 127.0.0.1, ports: { grpc: ${v1.port} }, labels: { version: v1 }, locality: r1/z1 }
  - { address: 127.0.0.1, ports: { grpc: ${v2.port} }, labels: { version: v2 }, locality: r1/z2 }
${extraV1 ? `  - { address: 127.0.0.1, ports: { grpc: ${extraV1.port} }, labels: { version: v1 }, locality: r1/z1 }\n` : ''}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: { consistentHash: { httpHeaderName: x-user } }
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ratings, namespace: default }
spec:
  hosts: [ratings.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 7070, name: grpc, protocol: GRPC }]
  endpoints:
  - { address: 127.0.0.1, ports: { grpc: ${r1.port} } }
  - { address: 127.0.0.1, ports: { grpc: ${r2.port} } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings, namespace: default }
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: { consistentHash: { httpHeaderName: x-user, ringHash: { minimumRingSize: 64 } } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: dns-echo, namespace: default }
spec:
  hosts: [echo.example.test]
  resolution: DNS
  ports: [{ number: 7171, name: grpc, protocol: GRPC }]
  endpoints: [{ address: localhost, ports: { grpc: ${r1.port} } }]
`;
}

function virtualService(v1Weight: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
  - name: abort
    match: [{ headers: { x-fault: { exact: abort } } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    fault: { abort: { grpcStatus: PERMISSION_DENIED, percentage: { value: 100 } } }
  - name: delay
    match: [{ headers: { x-fault: { exact: delay } } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    fault: { delay: { fixedDelay: 400ms, percentage: { value: 100 } } }
  - name: flaky
    match: [{ uri: { exact: /test.Echo/Flaky } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    retries: { attempts: 2, retryOn: "5xx,unavailable", backoff: 10ms }
  - name: flaky-no-retry
    match: [{ uri: { exact: /test.Echo/FlakyNoRetry } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    retries: { attempts: 0 }
  - name: slow
    match: [{ uri: { exact: /test.Echo/Slow } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    timeout: 200ms
  - name: split
    route:
    - { destination: { host: reviews, subset: v1 }, weight: ${v1Weight} }
    - { destination: { host: reviews, subset: v2 }, weight: ${100 - v1Weight} }
`;
}

interface CallResult {
  readonly value?: string;
  readonly code: grpc.status;
  readonly ms: number;
}

function call(client: grpc.Client, name: string, headers: Record<string, string> = {}, deadlineMs = 5000): Promise<CallResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const start = performance.now();
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/test.Echo/${name}`, identity, identity, Buffer.alloc(0), md, { deadline: Date.now() + deadlineMs }, (err, res) => {
      const ms = performance.now() - start;
      resolve(err ? { code: err.code, ms } : { value: String(res), code: grpc.status.OK, ms });
    });
  });
}

/** How many of `n` sequential Say calls v1 answered. */
async function v1Share(client: grpc.Client, n: number): Promise<number> {
  let v1 = 0;
  for (let i = 0; i < n; i++) {
    const r = await call(client, 'Say');
    assert.equal(r.code, grpc.status.OK);
    if (r.value === 'v1') v1++;
  }
  return v1;
}

describe('proxyless gRPC: @grpc/grpc-js-xds against the translated Istio config', () => {
  let dir: string;
  let v1: Backend;
  let v2: Backend;
  let r1: Backend;
  let r2: Backend;
  let v1b: Backend;
  let source: RunningIstioSource;
  let cp: RunningControlPlane;
  let client: grpc.Client;
  let ratings: grpc.Client;
  let firstRouteVersion = '';
  /** The control plane's view of the client's stream for one type (`/debug/syncz`). */
  const xdsState = (type: string): { ackedVersion: string; nacks: number; responses: number } | undefined =>
    cp.ads.syncz().find((v) => v.proxy === 'grpc-client-1')?.types[type] as { ackedVersion: string; nacks: number; responses: number } | undefined;

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    r1 = await startBackend('r1');
    r2 = await startBackend('r2');
    v1b = await startBackend('v1b');
    dir = mkdtempSync(path.join(tmpdir(), 'weft-proxyless-'));
    writeFileSync(path.join(dir, 'services.yaml'), services(v1, v2, r1, r2));
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService(80));
    const provider = new IstioSnapshotProvider();
    source = await startIstioSource(dir, provider);
    assert.deepEqual(source.issues(), []);
    cp = await startControlPlane({ provider, xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', debounceMs: 20 });
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${cp.xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'grpc-client-1', cluster: 'client.default', locality: { region: 'r1', zone: 'z1' }, metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } },
    });
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    client = new grpc.Client(TARGET, grpc.credentials.createInsecure());
    ratings = new grpc.Client('xds:///ratings.default.svc.cluster.local:7070', grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    ratings.close();
    await cp.close();
    source.close();
    v1.server.forceShutdown();
    v2.server.forceShutdown();
    r1.server.forceShutdown();
    r2.server.forceShutdown();
    v1b.server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the api_listener, ACKs every type and splits 80/20 over 300 calls', async () => {
    assert.equal((await call(client, 'Say')).code, grpc.status.OK);
    for (const t of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) {
      const state = xdsState(t);
      assert.equal(state?.nacks, 0, `${t} not NACKed`);
      assert.ok(state?.ackedVersion, `${t} ACKed`);
    }
    firstRouteVersion = xdsState('RouteConfiguration')?.ackedVersion ?? '';
    const share = await v1Share(client, 300);
    assert.ok(share >= 210 && share <= 270, `v1 answered ${share}/300, expected 240 +- 30`);
  });

  it('follows a live edit of the VirtualService file (20/80)', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService(20));
    // 40 calls at most 16 on v1: under the old 80/20 split that has odds of about 1e-7.
    await eventually(async () => (await v1Share(client, 40)) <= 16);
    const share = await v1Share(client, 300);
    assert.ok(share >= 30 && share <= 90, `v1 answered ${share}/300, expected 60 +- 30`);
    await eventually(async () => (xdsState('RouteConfiguration')?.ackedVersion ?? firstRouteVersion) !== firstRouteVersion);
    for (const t of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) assert.equal(xdsState(t)?.nacks, 0, `${t} not NACKed after the edit`);
  });

  it('aborts with the VirtualService grpcStatus before reaching the server', async () => {
    const before = v1.calls.get('Say') ?? 0;
    for (let i = 0; i < 5; i++) assert.equal((await call(client, 'Say', { 'x-fault': 'abort' })).code, grpc.status.PERMISSION_DENIED);
    assert.equal(v1.calls.get('Say') ?? 0, before);
  });

  it('delays by the fixed delay, then forwards', async () => {
    const r = await call(client, 'Say', { 'x-fault': 'delay' });
    assert.equal(r.value, 'v1');
    assert.ok(r.ms >= 395, `took ${r.ms} ms`);
    const plain = await call(client, 'Say');
    assert.ok(plain.ms < 300, `undelayed call took ${plain.ms} ms`); // generous: the machine may be loaded
  });

  it('retries UNAVAILABLE on the route with retries, not on the one with attempts: 0', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await call(client, 'Flaky')).value, 'v1');
    assert.equal(v1.calls.get('Flaky'), 8, 'each call failed once, then its retry succeeded');
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await call(client, 'FlakyNoRetry')).code);
    assert.deepEqual(codes, [grpc.status.UNAVAILABLE, grpc.status.OK, grpc.status.UNAVAILABLE, grpc.status.OK]);
    assert.equal(v1.calls.get('FlakyNoRetry'), 4);
  });

  it('turns the route timeout into DEADLINE_EXCEEDED', async () => {
    const r = await call(client, 'Slow');
    assert.equal(r.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(r.ms >= 195 && r.ms < 1500, `failed after ${r.ms} ms (route timeout 200 ms, server answers after 2 s)`);
  });

  // On its own service: grpc-js-xds 1.14 can leave the first ring-hash pick queued until its deadline when the
  // endpoint's subchannel is already READY through another cluster of the channel (e.g. a subset cluster).
  it('ring hash (default route of a DestinationRule consistentHash): a header value sticks to one backend, values spread', async () => {
    const seen = new Map<string, Set<string>>();
    for (let u = 0; u < 16; u++) {
      for (let i = 0; i < 4; i++) {
        const r = await call(ratings, 'Say', { 'x-user': `user-${u}` });
        assert.equal(r.code, grpc.status.OK);
        const set = seen.get(`user-${u}`) ?? new Set<string>();
        set.add(r.value ?? '');
        seen.set(`user-${u}`, set);
      }
    }
    for (const [user, backends] of seen) assert.equal(backends.size, 1, `${user} reached ${[...backends].join(',')}`);
    const used = new Set([...seen.values()].flatMap((s) => [...s]));
    assert.deepEqual([...used].sort(), ['r1', 'r2']);
  });

  it('follows an endpoint added to the ServiceEntry with an EDS push only', async () => {
    const responses = (t: string): number => xdsState(t)?.responses ?? -1;
    const before = { lds: responses('Listener'), rds: responses('RouteConfiguration'), cds: responses('Cluster') };
    writeFileSync(path.join(dir, 'services.yaml'), services(v1, v2, r1, r2, v1b));
    await eventually(async () => (await call(client, 'Say')).value === 'v1b', 5000);
    assert.deepEqual({ lds: responses('Listener'), rds: responses('RouteConfiguration'), cds: responses('Cluster') }, before);
  });

  it('reaches a one-name DNS ServiceEntry through a LOGICAL_DNS cluster resolved by the client', async () => {
    const dns = new grpc.Client('xds:///echo.example.test:7171', grpc.credentials.createInsecure());
    try {
      const r = await call(dns, 'Say');
      assert.equal(r.value, 'r1');
    } finally {
      dns.close();
    }
  });
});
