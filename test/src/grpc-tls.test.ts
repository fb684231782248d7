import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createPki, type TestPki } from './pki.js';
import { adminStat } from './stats.js';
import { bootstrap, staticCluster } from './yaml.js';

const echo = {
  path: '/weft.test.Echo/Unary',
  requestStream: false,
  responseStream: false,
  requestSerialize: (s: string): Buffer => Buffer.from(s),
  requestDeserialize: (b: Buffer): string => b.toString(),
  responseSerialize: (s: string): Buffer => Buffer.from(s),
  responseDeserialize: (b: Buffer): string => b.toString(),
};
type Fn = (...args: unknown[]) => unknown;

describe('gRPC over TLS both ways: ALPN h2 downstream, TLS HTTP/2 upstream with CA and SAN checks', () => {
  let pki: TestPki;
  let server: grpc.Server;
  let proxy: TestProxy;

  before(async () => {
    pki = createPki();
    const front = pki.issue('front', 'DNS:front.test');
    const back = pki.issue('back', 'DNS:back.test');
    server = new grpc.Server();
    server.addService({ unary: echo }, { unary: (call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => cb(null, `tls:${call.request}`) });
    const upPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(back.cert), private_key: readFileSync(back.key) }], false),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    const listener = `
  - name: grpcs
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            alpn_protocols: [h2, http/1.1]
            tls_certificates: [{ certificate_chain: { filename: ${front.cert} }, private_key: { filename: ${front.key} } }]
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: grpcs
          route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: backend } }] }] }
          http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]`;
    const tlsUp = `    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: back.test
        common_tls_context:
          alpn_protocols: [h2]
          validation_context:
            trusted_ca: { filename: ${pki.caCert} }
            match_typed_subject_alt_names: [{ san_type: DNS, matcher: { exact: back.test } }]
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;
    proxy = await startProxyFromYaml(bootstrap(listener, staticCluster('backend', [upPort], tlsUp)));
  });

  after(async () => {
    await proxy?.close();
    server?.forceShutdown();
    pki?.close();
  });

  test('a unary call crosses two TLS hops; the proxy negotiated h2 with the client', async () => {
    const Client = grpc.makeGenericClientConstructor({ unary: echo }, 'Echo');
    const creds = grpc.credentials.createSsl(readFileSync(pki.caCert));
    const client = new Client(`127.0.0.1:${proxy.port('grpcs')}`, creds, { 'grpc.ssl_target_name_override': 'front.test' }) as unknown as grpc.Client & { unary: Fn };
    try {
      const value = await new Promise<string>((resolve, reject) =>
        client.unary('ping', { deadline: Date.now() + 3000 }, (err: grpc.ServiceError | null, v: string) => (err ? reject(err) : resolve(v))),
      );
      assert.equal(value, 'tls:ping');
      assert.equal(await adminStat(proxy.adminPort, 'http.grpcs.downstream_cx_http2_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.backend.upstream_cx_http2_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.grpcs.downstream_cx_ssl_total'), 1);
    } finally {
      client.close();
    }
    const certs = (await request(proxy.adminPort, '/certs')).body;
    assert.match(certs, /front/);
  });
});
