import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const H2 = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

describe('HTTP/1.1 downstream to an HTTP/2 (h2c) upstream', () => {
  let server: http2.Http2Server;
  let proxy: TestProxy;
  let port: number;
  let refuseNext = 0;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined); // our own REFUSED_STREAM close surfaces here
      if (refuseNext > 0) {
        refuseNext--;
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = JSON.stringify({ method: headers[':method'], path: headers[':path'], authority: headers[':authority'], body: Buffer.concat(chunks).toString(), te: headers['transfer-encoding'] ?? null });
        stream.respond({ ':status': 201, 'content-type': 'application/json', 'x-h2': 'yes' });
        stream.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const upPort = (server.address() as AddressInfo).port;
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          routes: `
- match: { prefix: "/retry" }
  route: { cluster: h2, retry_policy: { retry_on: refused-stream, num_retries: 2, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/" }
  route: { cluster: h2 }`,
        }),
        staticCluster('h2', [upPort], H2),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('a request with a body crosses protocols: pseudo-headers from the request line and Host, no hop-by-hop headers', async () => {
    const res = await request(port, '/items?x=1', { method: 'POST', body: 'payload', headers: { host: 'svc.example', 'transfer-encoding': 'chunked' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-h2'], 'yes');
    assert.deepEqual(JSON.parse(res.body), { method: 'POST', path: '/items?x=1', authority: 'svc.example', body: 'payload', te: null });
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.upstream_cx_http2_total'), 1);
  });

  test('concurrent requests share one HTTP/2 connection', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => request(port, `/c${i}`)));
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.upstream_cx_total'), 1);
  });

  test('a REFUSED_STREAM reset is retried with retry_on refused-stream', async () => {
    refuseNext = 1;
    const res = await request(port, '/retry');
    assert.equal(res.status, 201);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.upstream_rq_retry'), 1);
  });
});
