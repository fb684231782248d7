import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { rawExchange, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { createPki, type TestPki } from './pki.js';
import { adminStat } from './stats.js';
import { httpsGet, tlsHandshake } from './tls-client.js';
import { bootstrap, indent, staticCluster } from './yaml.js';

function downstreamTls(cert: { cert: string; key: string }, extra = '', ctxExtra = ''): string {
  return `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
${indent(ctxExtra, 4)}
    common_tls_context:
      tls_certificates:
      - certificate_chain: { filename: ${cert.cert} }
        private_key: { filename: ${cert.key} }
${indent(extra, 6)}`;
}

function hcmFilter(logFile: string, extra = ''): string {
  return `filters:
- name: envoy.filters.network.http_connection_manager
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
    stat_prefix: ingress
${indent(extra, 4)}
    access_log:
    - name: envoy.access_loggers.file
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
        path: ${logFile}
        log_format: { text_format_source: { inline_string: "%RESPONSE_CODE% %DOWNSTREAM_TLS_VERSION% %REQUESTED_SERVER_NAME% %DOWNSTREAM_PEER_URI_SAN% %DOWNSTREAM_LOCAL_URI_SAN% %REQ(X-FORWARDED-PROTO)%\\n" } }
    route_config:
      virtual_hosts:
      - name: vh
        domains: ["*"]
        routes:
        - match: { prefix: "/" }
          route: { cluster: backend }
    http_filters:
    - name: envoy.filters.http.router
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
}

function listener(name: string, chains: string, extra = ''): string {
  return `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
${indent(extra, 4)}
    filter_chains:
${indent(chains, 4)}`;
}

describe('downstream TLS', () => {
  let pki: TestPki;
  let upstream: TestUpstream;
  let echo: net.Server;
  let proxy: TestProxy;
  let logFile: string;
  let server: { cert: string; key: string };
  let a: { cert: string; key: string };
  let b: { cert: string; key: string };
  let client: { cert: string; key: string };
  let badClient: { cert: string; key: string };

  before(async () => {
    pki = createPki();
    logFile = path.join(pki.dir, 'access.log');
    server = pki.issue('server', 'DNS:localhost,URI:spiffe://weft.local/ns/default/sa/proxy');
    a = pki.issue('a', 'DNS:a.example.com');
    b = pki.issue('b', 'DNS:*.b.example.com');
    client = pki.issue('client', 'URI:spiffe://weft.local/ns/default/sa/client');
    badClient = pki.issue('bad-client', 'URI:spiffe://other.local/ns/x/sa/y');
    upstream = await startUpstream('backend');
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const mtls = `validation_context:
  trusted_ca: { filename: ${pki.caCert} }
  match_typed_subject_alt_names:
  - san_type: URI
    matcher: { prefix: "spiffe://weft.local/" }`;
    const yaml = bootstrap(
      listener('https', `- ${indent(downstreamTls(server, 'alpn_protocols: [http/1.1]'), 2).trimStart()}\n  ${indent(hcmFilter(logFile), 2).trimStart()}`) +
        listener(
          'mtls',
          `- ${indent(downstreamTls(server, mtls, 'require_client_certificate: true'), 2).trimStart()}\n  ${indent(hcmFilter(logFile, 'forward_client_cert_details: APPEND_FORWARD\nset_current_client_cert_details: { subject: true, uri: true, dns: true }'), 2).trimStart()}`,
        ) +
        listener(
          'tcp',
          `- ${indent(downstreamTls(server), 2).trimStart()}
  filters:
  - name: envoy.filters.network.tcp_proxy
    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: tcp, cluster: echo }`,
        ) +
        listener(
          'sni',
          `- filter_chain_match: { server_names: [a.example.com] }
  ${indent(downstreamTls(a), 2).trimStart()}
  ${indent(hcmFilter(logFile), 2).trimStart()}
- filter_chain_match: { server_names: ["*.b.example.com"] }
  ${indent(downstreamTls(b), 2).trimStart()}
  ${indent(hcmFilter(logFile), 2).trimStart()}
- filter_chain_match: { transport_protocol: tls, application_protocols: [x-weft-test] }
  ${indent(downstreamTls(b, 'alpn_protocols: [x-weft-test]'), 2).trimStart()}
  ${indent(hcmFilter(logFile), 2).trimStart()}
- filter_chain_match: { transport_protocol: tls }
  ${indent(downstreamTls(server), 2).trimStart()}
  ${indent(hcmFilter(logFile), 2).trimStart()}
- filter_chain_match: { transport_protocol: raw_buffer }
  ${indent(hcmFilter(logFile), 2).trimStart()}`,
          `listener_filters:
- name: envoy.filters.listener.tls_inspector
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
listener_filters_timeout: 0.3s`,
        ) +
        listener(
          'server-first',
          `- ${indent(hcmFilter(logFile), 2).trimStart()}`,
          `listener_filters:
- name: envoy.filters.listener.tls_inspector
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
listener_filters_timeout: 0.1s
continue_on_listener_filters_timeout: true`,
        ) +
        listener(
          'tls12',
          `- ${indent(downstreamTls(server, 'tls_params: { tls_maximum_protocol_version: TLSv1_2, cipher_suites: ["[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]"], ecdh_curves: [P-256] }', 'require_sni: true'), 2).trimStart()}\n  ${indent(hcmFilter(logFile), 2).trimStart()}`,
        ) +
        listener('slow-handshake', `- ${indent(downstreamTls(server), 2).trimStart()}\n  transport_socket_connect_timeout: 0.1s\n  ${indent(hcmFilter(logFile), 2).trimStart()}`),
      staticCluster('backend', [upstream.port]) + staticCluster('echo', [echoPort]),
    );
    proxy = await startProxyFromYaml(yaml);
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
    echo.close();
    pki.close();
  });

  const statOf = (listenerName: string, stat: string): Promise<number> => adminStat(proxy.adminPort, `listener.127.0.0.1_${proxy.port(listenerName)}.${stat}`);

  test('terminates TLS in front of a plain HTTP upstream: https scheme, x-forwarded-proto https, TLS access log fields', async () => {
    const res = await httpsGet(proxy.port('https'), '/hello', { ca: pki.caCert, servername: 'localhost', headers: { 'x-forwarded-client-cert': 'Hash=spoofed' } });
    assert.equal(res.status, 200);
    assert.equal(res.serverCn, 'server');
    const seen = upstream.requests.at(-1);
    assert.equal(seen?.url, '/hello');
    assert.equal(seen?.headers['x-forwarded-proto'], 'https');
    assert.equal(seen?.headers['x-forwarded-client-cert'], undefined, 'SANITIZE (the default) removes a client-sent XFCC');
    assert.equal(await statOf('https', 'ssl.handshake'), 1);
    assert.equal(await statOf('https', 'ssl.no_certificate'), 1);
    assert.equal(await statOf('https', 'ssl.versions.TLSv1.3'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_ssl_total'), 1);
    await flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8'), /^200 TLSv1\.3 localhost - spiffe:\/\/weft\.local\/ns\/default\/sa\/proxy https$/m);
  });

  test('negotiates the configured ALPN protocol', async () => {
    const r = await tlsHandshake(proxy.port('https'), { ca: pki.caCert, alpn: ['h2', 'http/1.1'] });
    assert.equal(r.alpn, 'http/1.1');
  });

  test('terminates TLS in front of tcp_proxy', async () => {
    const tls = await import('node:tls');
    const got = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: proxy.port('tcp'), ca: readFileSync(pki.caCert), checkServerIdentity: () => undefined }, () => s.end('ping over tls'));
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
    assert.equal(got, 'ping over tls');
  });

  test('mTLS: a trusted client certificate with a matching URI SAN is accepted and logged', async () => {
    const res = await httpsGet(proxy.port('mtls'), '/m', { ca: pki.caCert, cert: client.cert, key: client.key, headers: { 'x-forwarded-client-cert': 'By=spiffe://earlier;Hash=00' } });
    assert.equal(res.status, 200);
    const hash = createHash('sha256').update(new X509Certificate(readFileSync(client.cert)).raw).digest('hex');
    assert.equal(
      upstream.requests.at(-1)?.headers['x-forwarded-client-cert'],
      `By=spiffe://earlier;Hash=00,By=spiffe://weft.local/ns/default/sa/proxy;Hash=${hash};Subject="CN=client,O=Weft";URI=spiffe://weft.local/ns/default/sa/client`,
    );
    await flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8'), /^200 TLSv1\.3 - spiffe:\/\/weft\.local\/ns\/default\/sa\/client spiffe:\/\/weft\.local\/ns\/default\/sa\/proxy https$/m);
  });

  test('mTLS: a client resumes its TLS session and keeps its verified identity', async () => {
    const tls = await import('node:tls');
    const opts = { host: '127.0.0.1', port: proxy.port('mtls'), ca: readFileSync(pki.caCert), cert: readFileSync(client.cert), key: readFileSync(client.key), checkServerIdentity: () => undefined };
    const get = (session?: Buffer): Promise<{ reused: boolean; status: string; session: Buffer | undefined }> =>
      new Promise((resolve, reject) => {
        let reused = false;
        const s = tls.connect(session ? { ...opts, session } : opts, () => {
          reused = s.isSessionReused();
          s.write('GET /resume HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
        });
        let latest: Buffer | undefined;
        let out = '';
        s.on('session', (b: Buffer) => (latest = b));
        s.on('data', (c: Buffer) => (out += c.toString('latin1')));
        s.on('close', () => resolve({ reused, status: out.slice(0, 12), session: latest }));
        s.on('error', reject);
      });
    const first = await get();
    assert.equal(first.status, 'HTTP/1.1 200');
    const second = await get(first.session);
    assert.deepEqual({ reused: second.reused, status: second.status }, { reused: true, status: 'HTTP/1.1 200' });
    assert.equal(await statOf('mtls', 'ssl.session_reused'), 1);
    await flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8').trim().split('\n').at(-1) ?? '', /^200 TLSv1\.3 - spiffe:\/\/weft\.local\/ns\/default\/sa\/client /);
  });

  test('mTLS: a missing client certificate and a SAN mismatch are refused and counted', async () => {
    await assert.rejects(httpsGet(proxy.port('mtls'), '/m', { ca: pki.caCert }));
    await assert.rejects(httpsGet(proxy.port('mtls'), '/m', { ca: pki.caCert, cert: badClient.cert, key: badClient.key }));
    assert.equal(await statOf('mtls', 'ssl.fail_verify_no_cert'), 1);
    assert.equal(await statOf('mtls', 'ssl.fail_verify_san'), 1);
    assert.equal(await statOf('mtls', 'ssl.connection_error'), 2);
    assert.equal(await statOf('mtls', 'ssl.handshake'), 3);
  });

  test('the TLS inspector selects filter chains by SNI (exact, wildcard, default TLS chain) and passes plaintext through', async () => {
    const port = proxy.port('sni');
    assert.equal((await httpsGet(port, '/', { servername: 'a.example.com' })).serverCn, 'a');
    assert.equal((await httpsGet(port, '/', { servername: 'x.b.example.com' })).serverCn, 'b');
    assert.equal((await httpsGet(port, '/', { servername: 'other.example.com' })).serverCn, 'server');
    assert.equal((await httpsGet(port, '/', {})).serverCn, 'server');
    const plain = await rawExchange(port, 'GET /plain HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(plain.text, /^HTTP\/1\.1 200 /);
    assert.equal(upstream.requests.at(-1)?.headers['x-forwarded-proto'], 'http');
    assert.equal(await adminStat(proxy.adminPort, 'tls_inspector.tls_found'), 4);
    assert.equal(await adminStat(proxy.adminPort, 'tls_inspector.sni_found'), 3);
    assert.equal(await adminStat(proxy.adminPort, 'tls_inspector.tls_not_found'), 1);
  });

  test('application_protocols from the ClientHello select a filter chain after server_names and transport_protocol', async () => {
    const port = proxy.port('sni');
    const r = await tlsHandshake(port, { alpn: ['x-weft-test'] });
    assert.deepEqual(r, { alpn: 'x-weft-test', serverCn: 'b' });
    // SNI is matched first: a named chain wins over the ALPN chain.
    assert.equal((await tlsHandshake(port, { servername: 'a.example.com', alpn: ['x-weft-test'] })).serverCn, 'a');
    assert.equal(await adminStat(proxy.adminPort, 'tls_inspector.alpn_found'), 2);
  });

  test('a client that sends nothing is closed at the listener filter timeout', async () => {
    const port = proxy.port('sni');
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    assert.equal(closed, true);
    assert.equal(await statOf('sni', 'downstream_pre_cx_timeout'), 1);
    assert.equal(await statOf('sni', 'downstream_pre_cx_active'), 0);
  });

  test('continue_on_listener_filters_timeout: a client that waits before speaking is still served', async () => {
    const port = proxy.port('server-first');
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await statOf('server-first', 'downstream_pre_cx_timeout'), 1);
    const reply = await new Promise<string>((resolve, reject) => {
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString('latin1')));
      s.on('close', () => resolve(out));
      s.on('error', reject);
      s.write('GET /late HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    });
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });

  test('a peer that closes while the TLS inspector waits is counted; a stalled handshake hits transport_socket_connect_timeout', async () => {
    const closedEarly = new Promise<void>((resolve) => {
      const s = net.connect(proxy.port('sni'), '127.0.0.1', () => s.end(Buffer.from([0x16, 0x03, 0x01])));
      s.on('close', () => resolve());
      s.on('error', () => undefined);
    });
    await closedEarly;
    const stalled = await new Promise<boolean>((resolve) => {
      const s = net.connect(proxy.port('slow-handshake'), '127.0.0.1');
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    assert.equal(stalled, true);
    assert.equal(await statOf('sni', 'downstream_listener_filter_remote_close'), 1);
    assert.equal(await statOf('slow-handshake', 'downstream_cx_transport_socket_connect_timeout'), 1);
    assert.equal(await statOf('slow-handshake', 'downstream_cx_active'), 0);
  });

  test('tls_params: maximum version, cipher suites (with an equal-preference group) and curves; require_sni', async () => {
    const port = proxy.port('tls12');
    const r = await tlsHandshake(port, { servername: 'localhost', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    assert.deepEqual(r, { alpn: false, serverCn: 'server', version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    await assert.rejects(tlsHandshake(port, { servername: 'localhost', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }));
    await assert.rejects(httpsGet(port, '/', {}), 'a client without SNI is refused');
    assert.equal(await statOf('tls12', 'ssl.ciphers.ECDHE-ECDSA-AES128-GCM-SHA256'), 1);
    assert.equal(await statOf('tls12', 'ssl.connection_error'), 2);
  });

  test('a plaintext client on a TLS listener is closed without harming other connections', async () => {
    const port = proxy.port('https');
    const before = await statOf('https', 'ssl.connection_error');
    const plain = rawExchange(port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const good = httpsGet(port, '/ok', { ca: pki.caCert });
    const p = await plain;
    assert.equal(p.closed, true);
    assert.doesNotMatch(p.text, /HTTP\/1\.1 200/);
    assert.equal((await good).status, 200);
    assert.equal(await statOf('https', 'ssl.connection_error'), before + 1);
  });
});
