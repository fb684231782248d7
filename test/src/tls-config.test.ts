import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { createPki, type TestPki } from './pki.js';
import { httpsGet } from './tls-client.js';
import { bootstrap, httpListener, indent, staticCluster } from './yaml.js';

function configError(yaml: string): string {
  try {
    const server = new ProxyServer(parseBootstrapText(yaml, 'bad.yaml'), { serveTraffic: false, concurrency: 1, drainTimeMs: 0 });
    void server.stop();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

/** An HTTP listener whose filter chain terminates TLS with `ctx` (YAML of the DownstreamTlsContext fields). */
function tlsListenerYaml(ctx: string, clusterPort = 1, listenerExtra = ''): string {
  const l = httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }', listenerExtra }).replace(
    '    filter_chains:\n    - filters:',
    `    filter_chains:\n    - transport_socket:\n        name: envoy.transport_sockets.tls\n        typed_config:\n          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext\n${indent(ctx, 10)}\n      filters:`,
  );
  return bootstrap(l, staticCluster('a', [clusterPort]));
}

const TS = 'static_resources.listeners[0].filter_chains[0].transport_socket.typed_config';
const esc = (s: string): string => s.replace(/[[\].]/g, '\\$&');

describe('TLS configuration errors name the field', () => {
  let pki: TestPki;
  let leaf: { cert: string; key: string };
  before(() => {
    pki = createPki();
    leaf = pki.issue('leaf', 'DNS:localhost');
  });
  after(() => pki.close());

  const certs = (cert: string, key: string): string => `common_tls_context:\n  tls_certificates:\n  - certificate_chain: { filename: ${cert} }\n    private_key: { filename: ${key} }`;

  test('a missing certificate file', () => {
    assert.match(configError(tlsListenerYaml(certs('/nonexistent/cert.pem', leaf.key))), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_certificates\\[0\\]\\.certificate_chain\\.filename: cannot read '/nonexistent/cert\\.pem': ENOENT`));
  });

  test('a file that is not PEM', () => {
    const bad = path.join(pki.dir, 'garbage.pem');
    writeFileSync(bad, 'not a certificate');
    assert.match(configError(tlsListenerYaml(certs(bad, leaf.key))), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_certificates\\[0\\]\\.certificate_chain: does not hold a PEM certificate`));
    assert.match(configError(tlsListenerYaml(certs(leaf.cert, bad))), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_certificates\\[0\\]\\.private_key: does not hold a usable PEM private key`));
  });

  test('a key that does not belong to the certificate', () => {
    const other = pki.issue('other', 'DNS:other');
    assert.match(configError(tlsListenerYaml(certs(leaf.cert, other.key))), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_certificates\\[0\\]: TLS context rejected`));
  });

  test('an unknown field inside the TLS context', () => {
    assert.match(configError(tlsListenerYaml(`${certs(leaf.cert, leaf.key)}\nrequire_client_certificat: true`)), /require_client_certificat/);
  });

  test('unsupported and invalid values', () => {
    const base = certs(leaf.cert, leaf.key);
    assert.match(configError(tlsListenerYaml(`${base}\n  tls_params: { cipher_suites: [NOT-A-CIPHER] }`)), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_params\\.cipher_suites: rejected by the TLS library`));
    assert.match(configError(tlsListenerYaml(`${base}\n  tls_params: { tls_minimum_protocol_version: TLSv1_3, tls_maximum_protocol_version: TLSv1_2 }`)), /tls_params: tls_minimum_protocol_version TLSv1\.3 is greater than/);
    assert.match(configError(tlsListenerYaml(`require_client_certificate: true\n${base}`)), new RegExp(`${esc(TS)}\\.require_client_certificate: needs common_tls_context\\.validation_context`));
    assert.match(configError(tlsListenerYaml(`${base}\n  validation_context: { trusted_ca: { filename: ${pki.caCert} }, match_typed_subject_alt_names: [{ san_type: OTHER_NAME, matcher: { exact: x } }] }`)), /match_typed_subject_alt_names\[0\]\.san_type: OTHER_NAME is not supported/);
    assert.match(configError(tlsListenerYaml(`${base}\n  validation_context: { verify_certificate_hash: [${"z".repeat(64)}] }`)), /verify_certificate_hash\[0\]: must be a hex-encoded SHA-256 hash/);
    assert.match(configError(tlsListenerYaml(`${base}\n  tls_certificate_sds_secret_configs: [{ name: x }]`)), /common_tls_context\.tls_certificate_sds_secret_configs\[0\]: only one certificate per context is supported yet/);
  });

  test('server_names without the TLS inspector, and an unknown listener filter', () => {
    const withSni = tlsListenerYaml(certs(leaf.cert, leaf.key)).replace('    - transport_socket:', '    - filter_chain_match: { server_names: [a.example.com] }\n      transport_socket:');
    assert.match(configError(withSni), /static_resources\.listeners\[0\]\.filter_chains: .*need the envoy\.filters\.listener\.tls_inspector listener filter/);
    const unknown = tlsListenerYaml(certs(leaf.cert, leaf.key), 1, 'listener_filters: [{ name: envoy.filters.listener.http_inspector, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]');
    assert.match(configError(unknown), /static_resources\.listeners\[0\]\.listener_filters\[0\]\.typed_config\.@type: unsupported listener filter/);
  });

  test('upstream: renegotiation and transport_socket_matches are refused', () => {
    const up = (ctx: string): string =>
      bootstrap('', staticCluster('a', [1], `    transport_socket:\n      name: envoy.transport_sockets.tls\n      typed_config:\n        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext\n${indent(ctx, 8)}`));
    assert.match(configError(up('allow_renegotiation: true')), /static_resources\.clusters\[0\]\.transport_socket\.typed_config\.allow_renegotiation: renegotiation is not supported/);
    assert.match(configError(up('common_tls_context: { validation_context: { trusted_ca: { filename: /nonexistent/ca.pem } } }')), /clusters\[0\]\.transport_socket\.typed_config\.common_tls_context\.validation_context\.trusted_ca\.filename: cannot read/);
  });
});

describe('certificate reload', () => {
  let pki: TestPki;
  let upstream: TestUpstream;
  let proxy: TestProxy;
  let dir: string;

  before(async () => {
    pki = createPki();
    dir = pki.dir;
    const first = pki.issue('first', 'DNS:localhost');
    // The proxy reads live.crt / live.key, replaced atomically (write a temp file, rename) like a secret volume.
    renameSync(first.cert, path.join(dir, 'live.crt'));
    renameSync(first.key, path.join(dir, 'live.key'));
    upstream = await startUpstream('backend');
    proxy = await startProxyFromYaml(tlsListenerYaml(`common_tls_context:\n  tls_certificates:\n  - certificate_chain: { filename: ${dir}/live.crt }\n    private_key: { filename: ${dir}/live.key }`, upstream.port));
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
    pki.close();
  });

  async function servedCn(): Promise<string> {
    return (await httpsGet(proxy.port('http'), '/', { ca: pki.caCert })).serverCn;
  }

  async function eventually(want: string): Promise<void> {
    const deadline = Date.now() + 3000;
    let last = '';
    while (Date.now() < deadline) {
      last = await servedCn();
      if (last === want) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`still serving '${last}', expected '${want}'`);
  }

  test('a replaced certificate is used by new connections; a bad replacement keeps the last good one', async () => {
    assert.equal(await servedCn(), 'first');
    // A keep-alive connection opened before the change keeps working with the certificate it was opened with.
    const kept = tls.connect({ host: '127.0.0.1', port: proxy.port('http'), ca: readFileSync(pki.caCert), checkServerIdentity: () => undefined });
    await new Promise<void>((r, j) => kept.once('secureConnect', r).once('error', j));
    const exchange = (): Promise<string> =>
      new Promise((resolve) => {
        let out = '';
        const onData = (c: Buffer): void => {
          out += c.toString('latin1');
          if (/\r\n\r\n[\s\S]*\}$/.test(out)) {
            kept.off('data', onData);
            resolve(out);
          }
        };
        kept.on('data', onData);
        kept.write('GET /kept HTTP/1.1\r\nhost: x\r\n\r\n');
      });
    assert.match(await exchange(), /^HTTP\/1\.1 200 /);
    const second = pki.issue('second', 'DNS:localhost');
    renameSync(second.key, path.join(dir, 'live.key'));
    renameSync(second.cert, path.join(dir, 'live.crt'));
    await eventually('second');
    assert.match(await exchange(), /^HTTP\/1\.1 200 /);
    assert.equal(String(kept.getPeerCertificate().subject.CN), 'first');
    kept.destroy();
    writeFileSync(path.join(dir, 'tmp.crt'), '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n');
    renameSync(path.join(dir, 'tmp.crt'), path.join(dir, 'live.crt'));
    await new Promise((r) => setTimeout(r, 100));
    const served = await httpsGet(proxy.port('http'), '/', { ca: pki.caCert });
    assert.equal(served.serverCn, 'second');
    // /certs lists what is loaded: the last good certificate, with its file and expiry.
    const certs = JSON.parse((await request(proxy.adminPort, '/certs')).body) as { certificates: Array<{ ca_cert: unknown[]; cert_chain: Array<Record<string, unknown>> }> };
    const chain = certs.certificates.map((c) => c.cert_chain[0]).find((c) => c?.['path'] === path.join(dir, 'live.crt'));
    assert.deepEqual(
      { serial: chain?.['serial_number'], sans: chain?.['subject_alt_names'], days: chain?.['days_until_expiration'] },
      { serial: served.serverSerial.toLowerCase(), sans: [{ dns: 'localhost' }], days: '1' },
    );
  });
});

describe('static secrets (static_resources.secrets referenced by name)', () => {
  let pki: TestPki;
  let upstream: TestUpstream;
  let proxy: TestProxy;
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  const ctx = `require_client_certificate: true
common_tls_context:
  tls_certificate_sds_secret_configs: [{ name: server-cert }]
  combined_validation_context:
    default_validation_context:
      match_typed_subject_alt_names: [{ san_type: URI, matcher: { prefix: "spiffe://weft.local/" } }]
    validation_context_sds_secret_config: { name: root-ca }`;
  const secretsYaml = (cert: { cert: string; key: string }, ca: string): string => `  secrets:
  - name: server-cert
    tls_certificate:
      certificate_chain: { filename: ${cert.cert} }
      private_key: { filename: ${cert.key} }
  - name: root-ca
    validation_context:
      trusted_ca: { filename: ${ca} }`;
  const withSecrets = (yaml: string, secrets: string): string => yaml.replace('  clusters:', `${secrets}\n  clusters:`);

  before(async () => {
    pki = createPki();
    const server = pki.issue('server', 'DNS:localhost');
    client = pki.issue('client', 'URI:spiffe://weft.local/ns/a/sa/b');
    stranger = pki.issue('stranger', 'URI:spiffe://elsewhere/ns/a/sa/b');
    upstream = await startUpstream('backend');
    proxy = await startProxyFromYaml(withSecrets(tlsListenerYaml(ctx, upstream.port), secretsYaml(server, pki.caCert)));
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
    pki.close();
  });

  test('the certificate and the CA come from secrets; the default validation context adds the SAN matcher', async () => {
    const ok = await httpsGet(proxy.port('http'), '/', { ca: pki.caCert, cert: client.cert, key: client.key });
    assert.deepEqual({ status: ok.status, cn: ok.serverCn }, { status: 200, cn: 'server' });
    await assert.rejects(httpsGet(proxy.port('http'), '/', { ca: pki.caCert, cert: stranger.cert, key: stranger.key }));
  });

  test('unknown secrets, SDS over xDS and wrong secret types are refused with the reference path', () => {
    const yaml = (c: string, secrets: string): string => withSecrets(tlsListenerYaml(c), secrets);
    const s = secretsYaml({ cert: '/x.crt', key: '/x.key' }, pki.caCert);
    assert.match(configError(yaml(ctx.replace('name: server-cert', 'name: nope'), s)), new RegExp(`${esc(TS)}\\.common_tls_context\\.tls_certificate_sds_secret_configs\\[0\\]\\.name: unknown secret 'nope'`));
    assert.match(configError(yaml(ctx.replace('{ name: root-ca }', '{ name: root-ca, sds_config: { ads: {} } }'), s)), /combined_validation_context\.validation_context_sds_secret_config\.sds_config: SDS over xDS is not supported yet/);
    assert.match(configError(yaml(ctx.replace('{ name: root-ca }', '{ name: server-cert }'), s)), /validation_context_sds_secret_config\.name: secret 'server-cert' is not a validation_context/);
    // A secret's own fields are reported under static_resources.secrets.
    assert.match(configError(yaml(ctx, s)), /static_resources\.secrets\[0\]\.tls_certificate\.certificate_chain\.filename: cannot read '\/x\.crt'/);
  });
});
