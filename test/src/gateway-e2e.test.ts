import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { h2request } from './h2-client.js';
import { eventually, startMesh, type MeshFixture } from './mesh-fixture.js';
import { createPki, type TestPki } from './pki.js';
import { httpsGet } from './tls-client.js';

/** An ingress gateway workload: a router proxy in istio-system labelled istio=ingressgateway. */
const GATEWAY_NODE = `node:
  id: router~127.0.0.1~ingress-1.istio-system~istio-system.svc.cluster.local
  cluster: istio-ingressgateway.istio-system
  metadata: { NAMESPACE: istio-system, WORKLOAD_NAME: ingress-1, LABELS: { istio: ingressgateway } }`;

function services(web: number, api: number, pg: number): string {
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
  hosts: [web.example.com, secure.example.com, mtls.example.com]
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
  tcp: [{ route: [{ destination: { host: api } }] }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: pg, namespace: shop }
spec:
  hosts: [pg.db.example.com]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 5432, name: tls, protocol: TLS }]
  endpoints: [{ address: 127.0.0.1, ports: { tls: ${pg} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: pg, namespace: shop }
spec:
  hosts: ["*.db.example.com"]
  gateways: [istio-system/ingress]
  tls: [{ match: [{ sniHosts: [pg.db.example.com] }], route: [{ destination: { host: pg.db.example.com } }] }]
`;
}

interface Ports {
  readonly http: number;
  readonly https: number;
  readonly tcp: number;
  readonly tls: number;
  readonly tlsTcp: number;
}

type KeyPair = { cert: string; key: string };

function gateway(ports: Ports, httpHosts: string, certs: { secure: KeyPair; mtls: KeyPair; api: KeyPair; ca: string }): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ingress, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: ${ports.http}, name: http, protocol: HTTP }
    bind: 127.0.0.1
    hosts: [${httpHosts}]
  - port: { number: ${ports.http}, name: http-redirect, protocol: HTTP }
    bind: 127.0.0.1
    hosts: [secure.example.com]
    tls: { httpsRedirect: true }
  - port: { number: ${ports.https}, name: https, protocol: HTTPS }
    bind: 127.0.0.1
    hosts: [secure.example.com]
    tls: { mode: SIMPLE, serverCertificate: ${certs.secure.cert}, privateKey: ${certs.secure.key} }
  - port: { number: ${ports.https}, name: https-mtls, protocol: HTTPS }
    bind: 127.0.0.1
    hosts: [mtls.example.com]
    tls:
      mode: MUTUAL
      serverCertificate: ${certs.mtls.cert}
      privateKey: ${certs.mtls.key}
      caCertificates: ${certs.ca}
      subjectAltNames: [spiffe://example.com/client]
  - port: { number: ${ports.tcp}, name: tcp, protocol: TCP }
    bind: 127.0.0.1
    hosts: ["*"]
  - port: { number: ${ports.tls}, name: tls, protocol: TLS }
    bind: 127.0.0.1
    hosts: ["*.db.example.com"]
    tls: { mode: PASSTHROUGH }
  - port: { number: ${ports.tlsTcp}, name: tls-tcp, protocol: TLS }
    bind: 127.0.0.1
    hosts: [api.example.com]
    tls: { mode: SIMPLE, serverCertificate: ${certs.api.cert}, privateKey: ${certs.api.key} }
`;
}

describe('ingress gateway end to end: Gateway + VirtualServices → control plane → weft proxy as a router', () => {
  let dir: string;
  let pki: TestPki;
  let certs: Parameters<typeof gateway>[2];
  let client: { cert: string; key: string };
  let intruder: { cert: string; key: string };
  let web: TestUpstream;
  let api: TestUpstream;
  let pg: https.Server;
  let mesh: MeshFixture;
  let ports: Ports;
  let httpPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-gateway-'));
    pki = createPki();
    certs = { secure: pki.issue('secure', 'DNS:secure.example.com'), mtls: pki.issue('mtls', 'DNS:mtls.example.com'), api: pki.issue('api', 'DNS:api.example.com'), ca: pki.caCert };
    client = pki.issue('client', 'URI:spiffe://example.com/client');
    intruder = pki.issue('intruder', 'URI:spiffe://example.com/intruder');
    const pgCert = pki.issue('pg', 'DNS:pg.db.example.com');
    // The passthrough backend terminates TLS itself (the gateway never sees the plaintext).
    pg = https.createServer({ cert: readFileSync(pgCert.cert), key: readFileSync(pgCert.key) }, (_req, res) => res.end('pg-backend'));
    await new Promise<void>((resolve) => pg.listen(0, '127.0.0.1', resolve));
    web = await startUpstream('web');
    api = await startUpstream('api');
    ports = { http: await freePort(), https: await freePort(), tcp: await freePort(), tls: await freePort(), tlsTcp: await freePort() };
    httpPort = ports.http;
    writeFileSync(path.join(dir, 'services.yaml'), services(web.port, api.port, (pg.address() as AddressInfo).port));
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(ports, 'web.example.com, api.example.com', certs));
    mesh = await startMesh(dir, GATEWAY_NODE);
  });

  after(async () => {
    await mesh?.close();
    await web?.close();
    await api?.close();
    await new Promise((resolve) => pg?.close(resolve));
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
    await eventually(async () => (await via('web.example.com')) === 'web');
    const res = await httpsGet(ports.https, '/secure', { ca: pki.caCert, servername: 'secure.example.com', headers: { host: 'secure.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.serverCn, 'secure');
    const echo = JSON.parse(res.body) as { upstream: string; url: string; headers: Record<string, string> };
    assert.equal(echo.upstream, 'web');
    assert.equal(echo.url, '/secure');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
  });

  test('an HTTPS server negotiates HTTP/2 by ALPN (h2, http/1.1 like Istio) and routes the stream', async () => {
    const session = http2.connect(`https://127.0.0.1:${ports.https}`, { ca: readFileSync(pki.caCert), servername: 'secure.example.com', checkServerIdentity: () => undefined });
    session.on('error', () => {});
    try {
      const res = await h2request(session, { ':path': '/h2', ':authority': 'secure.example.com' });
      assert.equal(res.status, 200);
      assert.equal(session.alpnProtocol, 'h2');
      assert.equal(res.headers['x-upstream'], 'web');
    } finally {
      session.close();
    }
  });

  test('a MUTUAL server on the same port (its own SNI chain) requires a client certificate with the listed SAN', async () => {
    const ok = await httpsGet(ports.https, '/m', { ca: pki.caCert, servername: 'mtls.example.com', headers: { host: 'mtls.example.com' }, cert: client.cert, key: client.key });
    assert.equal(ok.status, 200);
    assert.equal(ok.serverCn, 'mtls');
    assert.equal((JSON.parse(ok.body) as { upstream: string }).upstream, 'web');
    await assert.rejects(httpsGet(ports.https, '/m', { ca: pki.caCert, servername: 'mtls.example.com', headers: { host: 'mtls.example.com' } }));
    await assert.rejects(httpsGet(ports.https, '/m', { ca: pki.caCert, servername: 'mtls.example.com', headers: { host: 'mtls.example.com' }, cert: intruder.cert, key: intruder.key }));
  });

  test('a TCP server forwards the connection to the tcp route of the bound VirtualService', async () => {
    const res = await request(ports.tcp, '/raw', { headers: { host: 'anything' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'api');
  });

  test('a TLS server with certificates terminates TLS and forwards the plaintext to the tcp route', async () => {
    const res = await httpsGet(ports.tlsTcp, '/in-tls', { ca: pki.caCert, servername: 'api.example.com' });
    assert.equal(res.status, 200);
    assert.equal(res.serverCn, 'api');
    assert.equal((JSON.parse(res.body) as { upstream: string; url: string }).upstream, 'api');
  });

  test('a PASSTHROUGH server forwards TLS by SNI without terminating it; an unknown SNI is closed', async () => {
    const res = await httpsGet(ports.tls, '/', { ca: pki.caCert, servername: 'pg.db.example.com' });
    assert.equal(res.status, 200);
    assert.equal(res.serverCn, 'pg');
    assert.equal(res.body, 'pg-backend');
    await assert.rejects(httpsGet(ports.tls, '/', { ca: pki.caCert, servername: 'other.db.example.com' }));
  });

  test('an httpsRedirect server answers plain HTTP with a 301 to https', async () => {
    const res = await request(httpPort, '/login?next=1', { headers: { host: 'secure.example.com' } });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://secure.example.com/login?next=1');
  });

  test('editing the Gateway hosts applies live: a removed host stops routing, the others keep flowing', async () => {
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(ports, 'web.example.com', certs));
    await eventually(async () => (await via('api.example.com')) === 'status 404');
    for (let i = 0; i < 3; i++) assert.equal(await via('web.example.com'), 'web');
    writeFileSync(path.join(dir, 'gateway.yaml'), gateway(ports, 'web.example.com, api.example.com', certs));
    await eventually(async () => (await via('api.example.com')) === 'api');
  });
});
