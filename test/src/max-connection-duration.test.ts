import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

function protocolOptions(protocol: string): string {
  return `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { max_connection_duration: 0.2s }
        explicit_http_config: { ${protocol}: {} }`;
}

describe('common_http_protocol_options.max_connection_duration (upstream)', () => {
  let h1: http.Server;
  let h2: http2.Http2Server;
  let h1Conns = 0;
  let h2Sessions = 0;
  let h2Closed = 0;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    const ids = new WeakMap<Socket, number>();
    h1 = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'x-conn': String(ids.get(req.socket)), 'content-length': 2 });
      res.end('ok');
    });
    h1.keepAliveTimeout = 30_000;
    h1.on('connection', (s: Socket) => ids.set(s, ++h1Conns));
    h2 = http2.createServer();
    const sessionIds = new WeakMap<http2.Http2Session, number>();
    h2.on('session', (s) => {
      sessionIds.set(s, ++h2Sessions);
      s.on('close', () => h2Closed++);
    });
    h2.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'x-conn': String(sessionIds.get(stream.session as http2.Http2Session)) });
      stream.end('ok');
    });
    await Promise.all([new Promise<void>((r) => h1.listen(0, '127.0.0.1', r)), new Promise<void>((r) => h2.listen(0, '127.0.0.1', r))]);
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          routes: `
- match: { prefix: "/h2" }
  route: { cluster: h2 }
- match: { prefix: "/" }
  route: { cluster: h1 }`,
        }),
        staticCluster('h1', [(h1.address() as AddressInfo).port], protocolOptions('http_protocol_options')) +
          staticCluster('h2', [(h2.address() as AddressInfo).port], protocolOptions('http2_protocol_options')),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    h1.closeAllConnections();
    await Promise.all([new Promise((r) => h1.close(r)), new Promise((r) => h2.close(r))]);
  });

  test('HTTP/1.1: a connection older than the limit is closed instead of reused', async () => {
    const a = await request(port, '/a');
    const b = await request(port, '/b');
    assert.equal(a.headers['x-conn'], '1');
    assert.equal(b.headers['x-conn'], '1');
    await sleep(250);
    const c = await request(port, '/c');
    assert.equal(c.status, 200);
    assert.equal(c.headers['x-conn'], '2');
    assert.equal(h1Conns, 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h1.upstream_cx_max_duration_reached'), 1);
  });

  test('HTTP/2: a session older than the limit takes no new stream and closes; a new session carries the request', async () => {
    const a = await request(port, '/h2/a');
    const b = await request(port, '/h2/b');
    assert.equal(a.headers['x-conn'], '1');
    assert.equal(b.headers['x-conn'], '1');
    await sleep(250);
    const c = await request(port, '/h2/c');
    assert.equal(c.status, 200);
    assert.equal(c.headers['x-conn'], '2');
    assert.equal(h2Sessions, 2);
    for (let i = 0; i < 40 && h2Closed < 1; i++) await sleep(25);
    assert.equal(h2Closed, 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.upstream_cx_max_duration_reached'), 1);
  });
});
