import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange, request, startProxyFromYaml, startUpstream, statusCodes, type TestProxy, type TestUpstream } from '@weft/testing';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

interface Echo {
  url: string;
  headers: Record<string, string>;
  rawNames: string[];
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An upstream that answers with raw bytes, including hop-by-hop headers a proxy must not forward. */
async function startHopByHopUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        s.write(
          'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x-up, keep-alive\r\nX-Up: secret\r\nKeep-Alive: timeout=5\r\n' +
            'Proxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\nok',
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connection manager request and response header handling', () => {
  let up: TestUpstream;
  let hop: Awaited<ReturnType<typeof startHopByHopUpstream>>;
  let proxy: TestProxy;

  before(async () => {
    up = await startUpstream('a', (req, res) => {
      const send = (): void => {
        const rawNames = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        const payload = JSON.stringify({ url: req.url, headers: req.headers, rawNames });
        if (req.url === '/server') res.setHeader('server', 'upstream-srv');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      };
      if (req.url === '/slow') setTimeout(send, 500);
      else send();
    });
    hop = await startHopByHopUpstream();
    const routes = '- match: { prefix: "/hop" }\n  route: { cluster: hop }\n- match: { prefix: "/" }\n  route: { cluster: a }';
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          listenerName: 'remote',
          hcmExtra: 'use_remote_address: true\nalways_set_request_id_in_response: true\nserver_name: weft-test\nvia: "1.1 weft"',
          routes,
        }) +
          httpListener({ listenerName: 'plain', routes }) +
          httpListener({ listenerName: 'noid', hcmExtra: 'generate_request_id: false', routes }) +
          httpListener({ listenerName: 'pass', hcmExtra: 'server_header_transformation: PASS_THROUGH', routes }) +
          httpListener({ listenerName: 'small', hcmExtra: 'max_request_headers_kb: 1', routes }) +
          httpListener({ listenerName: 'abs', domains: '"example.com"', routes }),
        staticCluster('a', [up.port]) + staticCluster('hop', [hop.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
    await hop.close();
  });

  async function echo(listener: string, path: string, headers: Record<string, string> = {}): Promise<{ e: Echo; res: Awaited<ReturnType<typeof request>> }> {
    const res = await request(proxy.port(listener), path, { headers });
    assert.equal(res.status, 200, res.body);
    return { e: JSON.parse(res.body) as Echo, res };
  }

  test('use_remote_address: a loopback client without XFF is internal: XFF is its address, x-envoy-internal is set', async () => {
    const { e } = await echo('remote', '/', { 'x-forwarded-proto': 'https' });
    assert.equal(e.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(e.headers['x-envoy-internal'], 'true');
    assert.equal(e.headers['x-envoy-external-address'], undefined);
    // The peer is not a trusted proxy (xff_num_trusted_hops 0): its x-forwarded-proto is overwritten.
    assert.equal(e.headers['x-forwarded-proto'], 'http');
  });

  test('use_remote_address: a client-supplied XFF gets the remote address appended and makes the request external', async () => {
    const { e } = await echo('remote', '/', { 'x-forwarded-for': '1.2.3.4', 'x-request-id': 'client-chosen', 'x-envoy-internal': 'true', 'x-envoy-retry-on': '5xx' });
    assert.equal(e.headers['x-forwarded-for'], '1.2.3.4,127.0.0.1');
    // Envoy: internal only if XFF holds a single internal address after the append.
    assert.equal(e.headers['x-envoy-internal'], undefined);
    assert.equal(e.headers['x-envoy-retry-on'], undefined);
    assert.equal(e.headers['x-envoy-external-address'], '127.0.0.1');
    // Edge requests get a fresh request id (preserve_external_request_id is false).
    assert.match(e.headers['x-request-id'] ?? '', UUID_V4);
  });

  test('x-envoy-upstream-rq-timeout-ms from an internal client shortens the route timeout (504)', async () => {
    // The route timeout is 15 s and the upstream answers after 500 ms: only the header can produce this 504.
    const res = await request(proxy.port('remote'), '/slow', { headers: { 'x-envoy-upstream-rq-timeout-ms': '100' } });
    assert.equal(res.status, 504);
    assert.equal(res.body, 'upstream request timeout');
  });

  test('x-envoy-upstream-rq-timeout-ms from an external (edge) client is ignored', async () => {
    const { e } = await echo('remote', '/slow', { 'x-envoy-upstream-rq-timeout-ms': '100', 'x-forwarded-for': '203.0.113.9' });
    assert.equal(e.headers['x-envoy-upstream-rq-timeout-ms'], undefined);
    assert.equal(e.headers['x-envoy-expected-rq-timeout-ms'], '15000');
  });

  test('use_remote_address false leaves XFF as sent and sets x-forwarded-proto only when absent', async () => {
    const sent = await echo('plain', '/', { 'x-forwarded-for': '1.2.3.4, 5.6.7.8', 'x-forwarded-proto': 'https' });
    assert.equal(sent.e.headers['x-forwarded-for'], '1.2.3.4, 5.6.7.8');
    assert.equal(sent.e.headers['x-forwarded-proto'], 'https');
    const none = await echo('plain', '/');
    assert.equal(none.e.headers['x-forwarded-for'], undefined);
    assert.equal(none.e.headers['x-forwarded-proto'], 'http');
  });

  test('use_remote_address false: internal only when XFF holds one internal address', async () => {
    const single = await echo('plain', '/', { 'x-forwarded-for': '10.1.2.3' });
    assert.equal(single.e.headers['x-envoy-internal'], 'true');
    const noXff = await echo('plain', '/', { 'x-envoy-internal': 'true', 'x-envoy-max-retries': '3' });
    assert.equal(noXff.e.headers['x-envoy-internal'], undefined);
    assert.equal(noXff.e.headers['x-envoy-max-retries'], undefined);
    const timeout = await echo('plain', '/slow', { 'x-envoy-upstream-rq-timeout-ms': '100' });
    assert.equal(timeout.e.headers['x-envoy-expected-rq-timeout-ms'], '15000');
  });

  test('x-request-id: generated as a UUID v4 when absent, preserved on an internal request, echoed with always_set_request_id_in_response', async () => {
    const gen = await echo('remote', '/');
    assert.match(gen.e.headers['x-request-id'] ?? '', UUID_V4);
    assert.equal(gen.res.headers['x-request-id'], gen.e.headers['x-request-id']);
    const kept = await echo('remote', '/', { 'x-request-id': 'keep-me' });
    assert.equal(kept.e.headers['x-request-id'], 'keep-me');
    assert.equal(kept.res.headers['x-request-id'], 'keep-me');
    const plain = await echo('plain', '/');
    assert.match(plain.e.headers['x-request-id'] ?? '', UUID_V4);
    assert.equal(plain.res.headers['x-request-id'], undefined);
    assert.equal((await echo('plain', '/', { 'x-request-id': 'not-edge' })).e.headers['x-request-id'], 'not-edge');
  });

  test('generate_request_id: false adds no x-request-id', async () => {
    const { e } = await echo('noid', '/');
    assert.equal(e.headers['x-request-id'], undefined);
  });

  test('server_name sets the server header, overwriting the upstream one', async () => {
    assert.equal((await echo('remote', '/server')).res.headers['server'], 'weft-test');
    assert.equal((await echo('plain', '/server')).res.headers['server'], 'envoy');
  });

  test('server_header_transformation PASS_THROUGH keeps the upstream server header and adds none', async () => {
    assert.equal((await echo('pass', '/server')).res.headers['server'], 'upstream-srv');
    assert.equal((await echo('pass', '/')).res.headers['server'], undefined);
  });

  test('via is appended to the request and the response', async () => {
    const { e, res } = await echo('remote', '/', { via: '1.0 client' });
    assert.equal(e.headers['via'], '1.0 client, 1.1 weft');
    assert.equal(res.headers['via'], '1.1 weft');
    assert.equal((await echo('plain', '/')).e.headers['via'], undefined);
  });

  test('hop-by-hop request headers never reach the upstream; te: trailers does', async () => {
    const { text } = await rawExchange(
      proxy.port('plain'),
      'GET /hbh HTTP/1.1\r\nHost: x\r\nConnection: x-foo, keep-alive\r\nX-Foo: bar\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n' +
        'TE: gzip\r\nUpgrade: h2c\r\nX-Other: kept\r\n\r\n',
    );
    assert.deepEqual(statusCodes(text), [200]);
    const e = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Echo;
    for (const name of ['x-foo', 'keep-alive', 'proxy-connection', 'te', 'upgrade']) assert.ok(!e.rawNames.includes(name), `${name} forwarded`);
    assert.ok(!e.rawNames.includes('connection') || e.headers['connection'] === 'keep-alive');
    assert.equal(e.headers['x-other'], 'kept');
    const te = await rawExchange(proxy.port('plain'), 'GET /te HTTP/1.1\r\nHost: x\r\nTE: gzip, trailers\r\n\r\n');
    const e2 = JSON.parse(te.text.slice(te.text.indexOf('\r\n\r\n') + 4)) as Echo;
    assert.equal(e2.headers['te'], 'trailers');
  });

  test('hop-by-hop response headers from the upstream never reach the client', async () => {
    const { text } = await rawExchange(proxy.port('plain'), 'GET /hop HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 200 /);
    const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
    assert.ok(!/^x-up:/m.test(head), head);
    assert.ok(!/^keep-alive:/m.test(head), head);
    assert.ok(!/^proxy-connection:/m.test(head), head);
    assert.ok(!/^connection:.*x-up/m.test(head), head);
    assert.match(head, /^x-kept: yes$/m);
    assert.ok(text.endsWith('\r\n\r\nok'));
  });

  test('an HTTP/1.0 request without accept_http_10 gets 426 and the connection closes', async () => {
    const before = up.requests.length;
    const { text, closed } = await rawExchange(proxy.port('plain'), 'GET / HTTP/1.0\r\nHost: x\r\n\r\n', { idleMs: 1000 });
    assert.deepEqual(statusCodes(text), [426]);
    assert.ok(closed);
    assert.equal(up.requests.length, before);
  });

  test('an Upgrade: websocket request gets 403 when no upgrade is configured', async () => {
    const before = up.requests.length;
    const { text, closed } = await rawExchange(
      proxy.port('plain'),
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      { idleMs: 1000 },
    );
    assert.deepEqual(statusCodes(text), [403]);
    assert.ok(closed);
    assert.equal(up.requests.length, before);
  });

  test('an absolute-form target is routed by its authority and forwarded in origin form', async () => {
    const { text } = await rawExchange(proxy.port('abs'), 'GET http://example.com/x?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n');
    assert.deepEqual(statusCodes(text), [200]);
    const e = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Echo;
    assert.equal(e.url, '/x?q=1');
    assert.equal(e.headers['host'], 'example.com');
    // The same request by Host alone does not match the example.com virtual host.
    assert.deepEqual(statusCodes((await rawExchange(proxy.port('abs'), 'GET /x HTTP/1.1\r\nHost: other.test\r\n\r\n')).text), [404]);
  });

  test('max_request_headers_kb: 1 answers 431 to a larger header section', async () => {
    const big = await rawExchange(proxy.port('small'), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1100)}\r\n\r\n`, { idleMs: 1000 });
    assert.deepEqual(statusCodes(big.text), [431]);
    assert.ok(big.closed);
    const ok = await rawExchange(proxy.port('small'), `GET / HTTP/1.1\r\nHost: x\r\nX-Small: ${'a'.repeat(500)}\r\n\r\n`);
    assert.deepEqual(statusCodes(ok.text), [200]);
  });
});
