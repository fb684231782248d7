import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { eventually, reviewsMesh, startMesh, type MeshFixture } from './mesh-fixture.js';

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
  let mesh: MeshFixture;
  let egressPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-mesh-'));
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    egressPort = await freePort();
    writeFileSync(
      path.join(dir, 'mesh.yaml'),
      reviewsMesh(
        egressPort,
        `  - { address: 127.0.0.1, ports: { http: ${v1.port} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { http: ${v2.port} }, labels: { version: v2 } }`,
      ),
    );
    writeFileSync(path.join(dir, 'routes.yaml'), virtualService('v1'));
    mesh = await startMesh(dir);
  });

  after(async () => {
    await mesh?.close();
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
      const res = await request(mesh.cp.httpPort, '/debug/configz');
      return res.body.includes('retriez');
    });
    const issues = JSON.parse((await request(mesh.cp.httpPort, '/debug/configz')).body) as { issues: Array<{ file: string; path: string }> };
    assert.ok(issues.issues.some((i) => i.file.endsWith('routes.yaml') && i.path.includes('retriez')));
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v2');
  });
});
