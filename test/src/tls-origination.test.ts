import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { freePort, request } from '@weft/testing';
import { clientSidecar, eventually, startMesh, type MeshFixture } from './mesh-fixture.js';
import { createPki, type TestPki } from './pki.js';

function mesh(egressPort: number, backendPort: number): string {
  return `${clientSidecar(egressPort)}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: backend, namespace: shop }
spec:
  hosts: [backend.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: http, protocol: HTTP, targetPort: ${backendPort} }]
  endpoints: [{ address: 127.0.0.1 }]
`;
}

function destinationRule(tlsSettings: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: shop }
spec:
  host: backend.internal
  trafficPolicy:
    tls: ${tlsSettings}
`;
}

describe('DestinationRule TLS origination end to end: plain HTTP in, TLS (mutual) to an HTTPS backend', () => {
  let dir: string;
  let pki: TestPki;
  let backend: https.Server;
  let fixture: MeshFixture;
  let egressPort: number;
  const seen: Array<{ sni: string; clientCn: string }> = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-tls-orig-'));
    pki = createPki();
    const server = pki.issue('backend', 'DNS:backend.internal');
    const client = pki.issue('client', 'URI:spiffe://weft.local/ns/shop/sa/client', 'client-1');
    backend = https.createServer({ cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const s = req.socket as tls.TLSSocket & { servername?: string };
      seen.push({ sni: s.servername ?? '', clientCn: String(s.getPeerCertificate().subject?.CN ?? '') });
      res.end('secure hello');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    egressPort = await freePort();
    writeFileSync(path.join(dir, 'mesh.yaml'), mesh(egressPort, (backend.address() as AddressInfo).port));
    writeFileSync(
      path.join(dir, 'dr.yaml'),
      destinationRule(`{ mode: MUTUAL, clientCertificate: ${client.cert}, privateKey: ${client.key}, caCertificates: ${pki.caCert}, subjectAltNames: [backend.internal] }`),
    );
    fixture = await startMesh(dir);
  });

  after(async () => {
    await fixture?.close();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
    pki?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (): Promise<string> => {
    try {
      const res = await request(egressPort, '/', { headers: { host: `backend.internal:${egressPort}` } });
      return `${res.status} ${res.body}`;
    } catch {
      return 'no listener';
    }
  };

  test('MUTUAL: the proxy presents the client certificate, sends the host as SNI and verifies the server', async () => {
    await eventually(async () => (await call()) === '200 secure hello');
    assert.deepEqual(seen.at(-1), { sni: 'backend.internal', clientCn: 'client-1' });
  });

  test('SIMPLE: server-authenticated TLS only, with the configured SNI', async () => {
    writeFileSync(path.join(dir, 'dr.yaml'), destinationRule(`{ mode: SIMPLE, caCertificates: ${pki.caCert}, sni: api.backend.internal }`));
    await eventually(async () => (await call()) === '200 secure hello' && seen.at(-1)?.sni === 'api.backend.internal');
    assert.deepEqual(seen.at(-1), { sni: 'api.backend.internal', clientCn: '' });
  });

  test('SIMPLE with a subjectAltName the server does not have: the handshake is refused (503)', async () => {
    writeFileSync(path.join(dir, 'dr.yaml'), destinationRule(`{ mode: SIMPLE, caCertificates: ${pki.caCert}, subjectAltNames: [other.internal], sni: other.internal }`));
    await eventually(async () => (await call()).startsWith('503 '));
    const before = seen.length;
    for (let i = 0; i < 3; i++) assert.match(await call(), /^503 /);
    assert.equal(seen.length, before, 'no request reached the backend');
  });
});
