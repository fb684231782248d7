import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(yaml: string): string[] {
  const parsed = parseYamlDocuments(yaml);
  assert.ok(parsed.ok);
  const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.reason}`);
}

const GW = (servers: string): string => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: ingress, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
${servers}`;

describe('Gateway validation', () => {
  it('accepts HTTP, httpsRedirect, SIMPLE, MUTUAL, PASSTHROUGH, TCP and TLS-terminated TCP servers', () => {
    assert.deepEqual(problems(GW(`  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*/a.example.com", "./b.example.com", c.example.com]
    tls: { httpsRedirect: true }
  - port: { number: 443, name: https, protocol: HTTPS }
    bind: 127.0.0.1
    hosts: [a.example.com]
    tls: { mode: SIMPLE, serverCertificate: /c.crt, privateKey: /c.key, minProtocolVersion: TLSV1_2, maxProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256] }
  - port: { number: 443, name: https-m, protocol: HTTPS }
    hosts: [m.example.com]
    tls: { mode: MUTUAL, serverCertificate: /c.crt, privateKey: /c.key, caCertificates: /ca.crt, subjectAltNames: [client] }
  - port: { number: 8443, name: tls, protocol: TLS }
    hosts: ["*.db.example.com"]
    tls: { mode: PASSTHROUGH }
  - port: { number: 9000, name: tcp, protocol: TCP }
    hosts: ["*"]
  - port: { number: 9443, name: tls-terminated, protocol: TLS }
    hosts: [db.example.com]
    tls: { mode: SIMPLE, serverCertificate: /c.crt, privateKey: /c.key }`)), []);
  });

  it('refuses SDS credentials and the TLS modes Weft does not implement, naming the field', () => {
    assert.deepEqual(problems(GW(`  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, credentialName: a-cert }
  - port: { number: 444, name: https-2, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: ISTIO_MUTUAL }
  - port: { number: 445, name: https-3, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: MUTUAL, serverCertificate: /c.crt, privateKey: /c.key, verifyCertificateSpki: [abc] }`)), [
      'spec.servers[0].tls.credentialName: needs SDS, which the Weft control plane does not serve yet: use serverCertificate/privateKey file paths',
      "spec.servers[1].tls.mode: 'ISTIO_MUTUAL' is not supported by Weft yet",
      'spec.servers[2].tls.verifyCertificateSpki: is not supported by Weft yet',
      'spec.servers[2].tls.caCertificates: is required with mode MUTUAL',
    ]);
  });

  it('ties TLS settings to the server protocol like Istio', () => {
    assert.deepEqual(problems(GW(`  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [a.example.com]
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, serverCertificate: /c.crt, privateKey: /c.key }
  - port: { number: 9000, name: tcp, protocol: TCP }
    hosts: [a.example.com]
    tls: { httpsRedirect: true }
  - port: { number: 444, name: https-2, protocol: HTTPS }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, serverCertificate: /c.crt, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2 }
  - port: { number: 8443, name: tls, protocol: TLS }
    hosts: [a.example.com]
    tls: { mode: PASSTHROUGH, serverCertificate: /c.crt }
  - port: { number: 53, name: dns, protocol: UDP }
    hosts: [a.example.com]
  - port: { number: 8444, name: tls-t, protocol: TLS }
    hosts: [a.example.com]
    tls: { mode: SIMPLE, serverCertificate: /c.crt, privateKey: /c.key, httpsRedirect: true }`)), [
      'spec.servers[0].tls: is required for HTTPS servers',
      'spec.servers[1].tls: plain-text HTTP servers accept only tls.httpsRedirect',
      'spec.servers[2].tls: TCP servers cannot have TLS settings',
      'spec.servers[3].tls.privateKey: is required with mode SIMPLE',
      'spec.servers[3].tls.maxProtocolVersion: TLSV1_2 is lower than minProtocolVersion TLSV1_3',
      'spec.servers[4].tls.serverCertificate: is only used by modes SIMPLE and MUTUAL (mode is PASSTHROUGH)',
      'spec.servers[5].port.protocol: UDP gateway servers are not supported by Weft yet',
      'spec.servers[6].tls.httpsRedirect: applies only to HTTP and HTTPS servers',
    ]);
  });

  it('refuses duplicate port names and server names', () => {
    assert.deepEqual(problems(GW(`  - port: { number: 80, name: http, protocol: HTTP }
    name: a
    hosts: [a.example.com]
  - port: { number: 81, name: http, protocol: HTTP }
    name: a
    hosts: [b.example.com]`)), [
      "spec.servers[1].port.name: duplicate port name 'http' (port names must be unique across servers)",
      "spec.servers[1].name: duplicate server name 'a'",
    ]);
  });

  it('accepts VirtualService tls routes bound to gateways only, with sniHosts required', () => {
    const vs = (extra: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: db, namespace: data }
spec:
  hosts: ["*.db.example.com"]
${extra}`;
    assert.deepEqual(problems(vs(`  gateways: [istio-system/ingress]
  tls:
  - match: [{ sniHosts: [pg.db.example.com], port: 8443, gateways: [istio-system/ingress] }]
    route: [{ destination: { host: pg.db.example.com, port: { number: 5432 } } }]`)), []);
    assert.deepEqual(problems(vs(`  gateways: [istio-system/ingress, mesh]
  tls:
  - match: [{ port: 8443, sourceNamespace: a }]
    route: [{ destination: { host: pg.db.example.com }, weight: 50 }, { destination: { host: pg2.db.example.com }, weight: 40 }]
  - match: [{ sniHosts: [a.db.example.com], gateways: [mesh] }]`)), [
      'spec.tls[0].match[0].sourceNamespace: is not supported by Weft yet',
      'spec.tls[0].match[0].sniHosts: is required',
      'spec.tls[0].route: total destination weight is 90, must be 100',
      'spec.tls[1].route: is required',
      "spec.tls: TLS routes apply only to gateways in Weft (set 'gateways' without 'mesh')",
    ]);
  });
});
