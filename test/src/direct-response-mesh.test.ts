import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { eventually, reviewsMesh, startMesh, type MeshFixture } from './mesh-fixture.js';

const ROUTES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
  - match: [{ uri: { exact: /healthz } }]
    directResponse: { status: 200, body: { string: "ok\\n" } }
    headers: { response: { set: { content-type: text/plain } } }
  - match: [{ uri: { prefix: /legacy } }]
    directResponse: { status: 410, body: { bytes: eyJlcnJvciI6ImdvbmUifQ== } }
  - route: [{ destination: { host: reviews.shop.svc.cluster.local } }]
`;

describe('VirtualService directResponse end to end: answered by the proxy, never reaching the service', () => {
  let dir: string;
  let app: TestUpstream;
  let fixture: MeshFixture;
  let egressPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-direct-'));
    app = await startUpstream('reviews');
    egressPort = await freePort();
    writeFileSync(path.join(dir, 'mesh.yaml'), reviewsMesh(egressPort, `  - { address: 127.0.0.1, ports: { http: ${app.port} } }`));
    writeFileSync(path.join(dir, 'routes.yaml'), ROUTES);
    fixture = await startMesh(dir);
  });

  after(async () => {
    await fixture?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string) => request(egressPort, p, { headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } });

  test('a string body with the route response headers, a base64 body, and other paths still routed', async () => {
    await eventually(async () => {
      try {
        return (await get('/healthz')).status === 200;
      } catch {
        return false;
      }
    });
    const health = await get('/healthz');
    assert.equal(health.body, 'ok\n');
    assert.equal(health.headers['content-type'], 'text/plain');
    const legacy = await get('/legacy/v1');
    assert.equal(legacy.status, 410);
    assert.equal(legacy.body, '{"error":"gone"}');
    assert.equal(app.requests.length, 0);
    const routed = await get('/reviews/1');
    assert.equal(routed.status, 200);
    assert.equal(routed.headers['x-upstream'], 'reviews');
    assert.equal(app.requests.length, 1);
  });
});
