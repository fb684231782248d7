import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IstioSnapshotProvider, startControlPlane, startIstioSource, type RunningControlPlane, type RunningIstioSource } from '@weft/control-plane';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { dynamicBootstrap } from './xds-fixtures.js';

async function eventually(check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const NODE = `node:
  id: sidecar~127.0.0.1~client-1.shop~shop.svc.cluster.local
  cluster: client.shop
  metadata: { NAMESPACE: shop, WORKLOAD_NAME: client-1, LABELS: { app: client } }`;

function virtualService(subset: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
  - route: [{ destination: { host: reviews.shop.svc.cluster.local, subset: ${subset} } }]
    retries: { attempts: 2, retryOn: 5xx }
`;
}

describe('mesh end to end: Istio resources in a directory → control plane → weft proxy (captureMode NONE)', () => {
  let dir: string;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let provider: IstioSnapshotProvider;
  let source: RunningIstioSource;
  let cp: RunningControlPlane;
  let proxy: TestProxy;
  let egressPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-mesh-'));
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    egressPort = await freePort();
    writeFileSync(
      path.join(dir, 'mesh.yaml'),
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: client, namespace: shop }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
  - port: { number: ${egressPort}, protocol: HTTP, name: http }
    bind: 127.0.0.1
    captureMode: NONE
    hosts: [./*]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: http, protocol: HTTP }]
  endpoints:
  - { address: 127.0.0.1, ports: { http: ${v1.port} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { http: ${v2.port} }, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews.shop.svc.cluster.local
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`,
    );
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService('v1'));
    provider = new IstioSnapshotProvider();
    source = await startIstioSource(dir, provider);
    cp = await startControlPlane({ provider, xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', debounceMs: 20, debug: { configIssues: () => source.issues() } });
    proxy = await startProxyFromYaml(dynamicBootstrap(cp.xdsPort, 'DELTA_GRPC').replace('node: { id: test-node, cluster: test-cluster, locality: { zone: z1 } }', NODE));
  });

  after(async () => {
    await proxy?.close();
    await cp?.close();
    source?.close();
    await v1?.close();
    await v2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const via = async (): Promise<string | undefined> => {
    try {
      const res = await request(egressPort, '/reviews', { headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } });
      return res.status === 200 ? String(res.headers['x-upstream']) : `status ${res.status}`;
    } catch {
      return undefined;
    }
  };

  test('the egress listener comes up on its bind address and routes to the v1 subset', async () => {
    await eventually(async () => (await via()) === 'v1');
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v1');
  });

  test('editing the VirtualService moves traffic to v2 live', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService('v2'));
    await eventually(async () => (await via()) === 'v2');
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v2');
  });

  test('an invalid edit is reported with its field path and not applied; traffic keeps flowing', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService('v1').replace('retries:', 'retriez:'));
    await eventually(async () => {
      const res = await request(cp.httpPort, '/debug/configz');
      return res.body.includes('retriez');
    });
    const issues = JSON.parse((await request(cp.httpPort, '/debug/configz')).body) as { issues: Array<{ file: string; path: string }> };
    assert.ok(issues.issues.some((i) => i.file.endsWith('routes.yaml') && i.path.includes('retriez')));
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v2');
  });
});
