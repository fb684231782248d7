import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createPki, type TestPki } from './pki.js';
import { adminStat } from './stats.js';
import { bootstrap, fileAccessLog, httpListener, indent, staticCluster } from './yaml.js';

function upstreamTls(extra: string): string {
  return `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
${indent(extra, 4)}`;
}

describe('upstream TLS', () => {
  let pki: TestPki;
  let other: TestPki;
  let backend: https.Server;
  let tlsEcho: tls.Server;
  let proxy: TestProxy;
  let logFile: string;
  const seen: Array<{ sni: string; clientCn: string; alpn: string }> = [];

  before(async () => {
    pki = createPki();
    other = pki.otherCa('other');
    logFile = path.join(pki.dir, 'up.log');
    const server = pki.issue('backend', 'DNS:backend.internal,URI:spiffe://weft.local/ns/default/sa/backend');
    const client = pki.issue('proxy-client', 'URI:spiffe://weft.local/ns/default/sa/proxy', 'proxy-client');
    backend = https.createServer(
      { cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
      (req, res) => {
        const s = req.socket as tls.TLSSocket;
        const peer = s.getPeerCertificate();
        seen.push({ sni: (s as tls.TLSSocket & { servername?: string }).servername ?? '', clientCn: String(peer.subject?.CN ?? ''), alpn: String(s.alpnProtocol) });
        res.end('secure hello');
      },
    );
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    tlsEcho = tls.createServer({ cert: readFileSync(server.cert), key: readFileSync(server.key), allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => tlsEcho.listen(0, '127.0.0.1', r));
    const port = (backend.address() as AddressInfo).port;
    const echoPort = (tlsEcho.address() as AddressInfo).port;
    const common = (ca: string, sans = ''): string => `sni: backend.internal
common_tls_context:
  alpn_protocols: [http/1.1]
  tls_certificates:
  - certificate_chain: { filename: ${client.cert} }
    private_key: { filename: ${client.key} }
  validation_context:
    trusted_ca: { filename: ${ca} }
${indent(sans, 4)}`;
    const routes = `- match: { prefix: "/good" }
  route: { cluster: good }
- match: { prefix: "/wrong-ca" }
  route: { cluster: wrong_ca }
- match: { prefix: "/wrong-san" }
  route: { cluster: wrong_san }
- match: { prefix: "/san" }
  route: { cluster: san }
- match: { prefix: "/fresh" }
  route: { cluster: fresh }`;
    const tcpListener = `
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: tcp, cluster: tls_echo }`;
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes, hcmExtra: fileAccessLog(logFile, '%RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_TRANSPORT_FAILURE_REASON%') }) + tcpListener,
        staticCluster('good', [port], indent(upstreamTls(common(pki.caCert)), 4)) +
          staticCluster('wrong_ca', [port], indent(upstreamTls(common(other.caCert)), 4)) +
          staticCluster('san', [port], indent(upstreamTls(common(pki.caCert, 'match_typed_subject_alt_names: [{ san_type: URI, matcher: { exact: "spiffe://weft.local/ns/default/sa/backend" } }]')), 4)) +
          staticCluster('wrong_san', [port], indent(upstreamTls(common(pki.caCert, 'match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: "other.internal" } }]')), 4)) +
          staticCluster('fresh', [port], `    max_requests_per_connection: 1\n${indent(upstreamTls(common(pki.caCert)), 4)}`) +
          staticCluster('tls_echo', [echoPort], indent(upstreamTls('sni: echo.internal'), 4)),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    backend.close();
    tlsEcho.close();
    pki.close();
  });

  test('originates TLS with SNI, ALPN and a client certificate, validating the server against the CA', async () => {
    const res = await request(proxy.port('http'), '/good');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'secure hello');
    assert.deepEqual(seen.at(-1), { sni: 'backend.internal', clientCn: 'proxy-client', alpn: 'http/1.1' });
    // The connection is pooled and reused.
    assert.equal((await request(proxy.port('http'), '/good')).status, 200);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.good.ssl.handshake'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.good.upstream_cx_total'), 1);
  });

  test('a new connection resumes the previous TLS session (max_session_keys default 1)', async () => {
    assert.equal((await request(proxy.port('http'), '/fresh')).status, 200);
    assert.equal((await request(proxy.port('http'), '/fresh')).status, 200);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.fresh.upstream_cx_total'), 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.fresh.ssl.handshake'), 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.fresh.ssl.session_reused'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.fresh.ssl.versions.TLSv1.2'), 2);
  });

  test('a matching URI SAN matcher accepts the server', async () => {
    assert.equal((await request(proxy.port('http'), '/san')).status, 200);
  });

  test('a server certificate from an untrusted CA is a connect failure: 503 UF with the TLS failure reason', async () => {
    const res = await request(proxy.port('http'), '/wrong-ca');
    assert.equal(res.status, 503);
    assert.match(res.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure, transport failure reason: TLS_error:\|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end$/);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.wrong_ca.ssl.fail_verify_error'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.wrong_ca.ssl.connection_error'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.wrong_ca.upstream_cx_connect_fail'), 1);
    await flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8'), /^503 UF TLS_error:\|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end$/m);
  });

  test('a SAN matcher mismatch fails verification', async () => {
    const res = await request(proxy.port('http'), '/wrong-san');
    assert.equal(res.status, 503);
    assert.match(res.body, /CERTIFICATE_VERIFY_FAILED/);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.wrong_san.ssl.fail_verify_san'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.wrong_san.upstream_cx_connect_fail'), 1);
  });

  test('tcp_proxy to a TLS upstream (no validation context: any certificate), half-close relayed', async () => {
    const net = await import('node:net');
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect(proxy.port('tcp'), '127.0.0.1', () => s.end('through tls'));
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
    assert.equal(got, 'through tls');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.tls_echo.ssl.handshake'), 1);
  });
});
