import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { eventually, startMesh, type MeshFixture } from './mesh-fixture.js';
import { createPki, type TestPki } from './pki.js';
import { httpsGet } from './tls-client.js';

/** An ingress gateway workload: a router proxy in istio-system labelled istio=ingressgateway. */
const GATEWAY_NODE = `node:
  id: router~127.0.0.1~ingress-1.istio-system~istio-system.svc.cluster.local
  cluster: istio-ingressgateway.istio-system
  metadata: { NAMESPACE: istio-system, WORKLOAD_NAME: ingress-1, LABELS: { istio: ingressgateway } }`;

function services(web: number, api: number): string {
  const entry = (name: string, port: number): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: shop }
spec:
  hosts: [${name}.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 8080, name: http, protocol: HTTP }]
  endpoints: [{ address: 127.0.0.1, ports: { http: ${port} } }]
`;
  return `${entry('web', web)}---\n${entry('api', api)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: shop }
spec:
  hosts: [web.example.com, secure.example.com]
  gateways: [istio-system/ingress]
  http: [{ route: [{ destination: { host: web } }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: shop }
spec:
  hosts: [api.example.com]
  gateways: [istio-system/ingress]
  http: [{ route: [{ destination: { host: api } }] }]
`;
}

function gateway(httpPort: number, httpsPort: number, httpHosts: string, pki: { cert: string; key: string }): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ingress, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: ${httpPort}, name: http, protocol: HTTP }
    bind: 127.0.0.1
    hosts: [${httpHosts}]
  - port: { number: ${httpPort}, name: http-redirect, protocol: HTTP }
    bind: 127.0.0.1
    hosts: [secure.example.com]
    tls: { httpsRedirect: true }
  - port: { number: ${httpsPort}, name: https, protocol: HTTPS }
    bind: 127.0.0.1
    hosts: [secure.example.com]
    tls: { mode: SIMPLE, serverCertificate: ${pki.cert}, privateKey: ${pki.key} }
`;
}

describe('ingress gateway end to end: Gateway + VirtualServices → control plane → weft proxy as a router', () => {
  let dir: string;
  let pki: TestPki;
  let leaf: { cert: string; key: string };
  let web: TestUpstream;
  let api: TestUpstream;
  let mesh: MeshFixture;
  let httpPort: number;
  let httpsPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-gateway-'));
    pki = createPki();
    leaf = pki.issue('secure', 'DNS:secure.example.com');
    web = await startUpstream('web');
    api = await startUpstream('api');
    httpPort = await freePort();
    httpsPort = await freePort();
    writeFileSync(path.join(dir, 'services.yaml'), services(web.port, api.port));
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(httpPort, httpsPort, 'web.example.com, api.example.com', leaf));
    mesh = await startMesh(dir, GATEWAY_NODE);
  });

  after(async () => {
    await mesh?.close();
    await web?.close();
    await api?.close();
    pki?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const via = async (host: string): Promise<string> => {
    try {
      const res = await request(httpPort, '/x', { headers: { host } });
      return res.status === 200 ? String(res.headers['x-upstream']) : `status ${res.status}`;
    } catch {
      return 'unreachable';
    }
  };

  test('routes by Host to the VirtualService bound to the gateway; unknown hosts get 404', async () => {
    await eventually(async () => (await via('web.example.com')) === 'web');
    assert.equal(await via('web.example.com'), 'web');
    assert.equal(await via(`web.example.com:${httpPort}`), 'web');
    assert.equal(await via('api.example.com'), 'api');
    assert.equal(await via('other.example.com'), 'status 404');
  });

  test('terminates TLS for the SNI of the HTTPS server with its certificate', async () => {
    const res = await httpsGet(httpsPort, '/secure', { ca: pki.caCert, servername: 'secure.example.com', headers: { host: 'secure.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.serverCn, 'secure');
    const echo = JSON.parse(res.body) as { upstream: string; url: string; headers: Record<string, string> };
    assert.equal(echo.upstream, 'web');
    assert.equal(echo.url, '/secure');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
  });

  test('an httpsRedirect server answers plain HTTP with a 301 to https', async () => {
    const res = await request(httpPort, '/login?next=1', { headers: { host: 'secure.example.com' } });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://secure.example.com/login?next=1');
  });

  test('editing the Gateway hosts applies live: a removed host stops routing, the others keep flowing', async () => {
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(httpPort, httpsPort, 'web.example.com', leaf));
    await eventually(async () => (await via('api.example.com')) === 'status 404');
    for (let i = 0; i < 3; i++) assert.equal(await via('web.example.com'), 'web');
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(httpPort, httpsPort, 'web.example.com, api.example.com', leaf));
    await eventually(async () => (await via('api.example.com')) === 'api');
  });
});
