import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import type { H2Stream } from '@weft/proxy/codec/http2/h2-stream';
import type { Http2Session } from '@weft/proxy/codec/http2/session';
import { startScriptedServer } from '@weft/proxy/codec/http2/test-server';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const H2 = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

type Fields = Array<[string, string]>;
/** What the upstream answers for a path: a header block, optional body, optional trailer block. */
interface Answer {
  headers: Fields;
  body?: string;
  trailers?: Fields;
  /** Headers end the stream (no body). */
  endOnHeaders?: boolean;
}

const OK: Fields = [[':status', '200']];
const ANSWERS: Record<string, Answer> = {
  '/good': { headers: [...OK, ['content-length', '2']], body: 'ok' },
  '/no-status': { headers: [['content-type', 'text/plain']], body: 'x' },
  '/status-twice': { headers: [...OK, [':status', '200']], body: 'x' },
  '/request-pseudo': { headers: [...OK, [':path', '/']], body: 'x' },
  '/pseudo-after-regular': { headers: [['x-a', '1'], [':status', '200']], body: 'x' },
  '/upper-case-name': { headers: [...OK, ['X-Upper', '1']], body: 'x' },
  '/connection-field': { headers: [...OK, ['connection', 'keep-alive']], body: 'x' },
  '/value-with-lf': { headers: [...OK, ['x-a', 'a\nb']], body: 'x' },
  '/value-leading-space': { headers: [...OK, ['x-a', ' a']], body: 'x' },
  '/status-101': { headers: [[':status', '101']], body: 'x' },
  '/status-two-digits': { headers: [[':status', '99']], body: 'x' },
  '/interim-ends-stream': { headers: [[':status', '103']], endOnHeaders: true },
  '/body-longer-than-length': { headers: [...OK, ['content-length', '1']], body: 'toolong' },
  '/body-shorter-than-length': { headers: [...OK, ['content-length', '10']], body: 'short' },
  '/length-but-no-body': { headers: [...OK, ['content-length', '3']], endOnHeaders: true },
  '/bad-content-length': { headers: [...OK, ['content-length', '1x']], body: 'x' },
  '/pseudo-in-trailers': { headers: OK, body: 'x', trailers: [[':status', '200']] },
  '/good-trailers': { headers: OK, body: 'x', trailers: [['x-t', '1']] },
  '/no-content-with-length': { headers: [[':status', '204'], ['content-length', '5']], endOnHeaders: true },
};

/** A deliberately careless HTTP/2 upstream: it answers whatever ANSWERS says for the path, unchecked. */
function answer(session: Http2Session<string>, s: H2Stream<string>): void {
  const a = ANSWERS[s.user ?? ''] ?? { headers: [[':status', '404']], endOnHeaders: true };
  const w = session.headerBlock(s);
  for (const [n, v] of a.headers) session.hpackOut.encode(w, n, v);
  session.sendHeaders(s, a.endOnHeaders === true);
  if (a.endOnHeaders === true) return;
  session.sendData(s, Buffer.from(a.body ?? ''), a.trailers === undefined);
  if (a.trailers !== undefined) {
    const t = session.headerBlock(s);
    for (const [n, v] of a.trailers) session.hpackOut.encode(t, n, v);
    session.sendHeaders(s, true);
  }
}

describe('HTTP/2 upstream responses are validated (RFC 9113 §8.1, §8.2, §8.3.2)', () => {
  let server: net.Server;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    let upPort: number;
    ({ server, port: upPort } = await startScriptedServer(answer));
    proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: h2 }' }), staticCluster('h2', [upPort], H2)));
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('a well-formed response, with and without trailers, and a 204 whose content-length promises nothing', async () => {
    const good = await request(port, '/good');
    assert.equal(good.status, 200);
    assert.equal(good.body, 'ok');
    const t = await request(port, '/good-trailers');
    assert.equal(t.status, 200);
    assert.equal(t.body, 'x');
    assert.equal((await request(port, '/no-content-with-length')).status, 204);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.http2.rx_messaging_error'), 0);
  });

  const beforeHeaders = [
    '/no-status',
    '/status-twice',
    '/request-pseudo',
    '/pseudo-after-regular',
    '/upper-case-name',
    '/connection-field',
    '/value-with-lf',
    '/value-leading-space',
    '/status-101',
    '/status-two-digits',
    '/interim-ends-stream',
    '/length-but-no-body',
    '/bad-content-length',
  ];
  for (const path of beforeHeaders) {
    test(`malformed response ${path}: 502 UPE, the stream reset, counted, the connection kept`, async () => {
      const errors = await adminStat(proxy.adminPort, 'cluster.h2.http2.rx_messaging_error');
      const cx = await adminStat(proxy.adminPort, 'cluster.h2.upstream_cx_total');
      const res = await request(port, path);
      assert.equal(res.status, 502, res.body);
      assert.match(res.body, /reset reason: protocol error/);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.http2.rx_messaging_error'), errors + 1);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.http2.tx_reset') > 0, true);
      // A stream error, not a connection error: the next request reuses the connection.
      assert.equal((await request(port, '/good')).status, 200);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.upstream_cx_total'), Math.max(cx, 1));
    });
  }

  for (const path of ['/body-longer-than-length', '/body-shorter-than-length', '/pseudo-in-trailers']) {
    test(`malformed after the headers ${path}: the downstream response is cut (not completed), counted`, async () => {
      const errors = await adminStat(proxy.adminPort, 'cluster.h2.http2.rx_messaging_error');
      await assert.rejects(request(port, path));
      assert.equal(await adminStat(proxy.adminPort, 'cluster.h2.http2.rx_messaging_error'), errors + 1);
      assert.equal((await request(port, '/good')).status, 200);
    });
  }
});
