import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange, request, startProxyFromYaml, startUpstream, statusCodes, type TestProxy, type TestUpstream } from '@weft/testing';
import { bootstrap, httpListener, staticCluster } from './yaml.js';
import { adminStat } from './stats.js';

describe('HTTP/1.1 proxying through the connection manager and router', () => {
  let up: TestUpstream;
  let slow: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    up = await startUpstream('a', (req, res, body) => {
      const url = req.url ?? '/';
      if (url.startsWith('/status/')) {
        res.writeHead(Number(url.slice(8)), { 'x-upstream': 'a' });
        res.end();
        return;
      }
      if (url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part1-');
        setTimeout(() => res.end('part2'), 10);
        return;
      }
      if (url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('body');
        res.addTrailers({ 'x-checksum': 'abc' });
        res.end();
        return;
      }
      if (url === '/big') {
        const size = Number(req.headers['x-size'] ?? 0);
        const chunk = Buffer.alloc(64 * 1024, 7);
        res.writeHead(200, { 'content-length': size });
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            const n = Math.min(chunk.length, size - sent);
            sent += n;
            if (!res.write(chunk.subarray(0, n))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      if (url === '/binary' || url === '/binary-chunked') {
        const bytes = Buffer.alloc(256);
        for (let i = 0; i < 256; i++) bytes[i] = 255 - i;
        if (url === '/binary') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
          res.end(bytes);
        } else {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(bytes);
          res.end();
        }
        return;
      }
      if (url === '/hash') {
        const digest = createHash('sha256').update(body).digest('hex');
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': digest.length });
        res.end(digest);
        return;
      }
      const payload = JSON.stringify({ url, method: req.method, headers: req.headers, body: body.toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'a', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
    slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end('late');
      }, 1500);
    });
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          hcmExtra: 'http_protocol_options: { accept_http_10: true, enable_trailers: true }',
          routes: `
- match: { prefix: "/slow" }
  route: { cluster: slow, timeout: 0.2s }
- match: { prefix: "/" }
  route: { cluster: a }`,
        }),
        staticCluster('a', [up.port]) + staticCluster('slow', [slow.port]),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await up.close();
    await slow.close();
  });

  test('forwards a GET and returns the upstream response with Envoy headers added', async () => {
    const res = await request(port, '/hello?x=1', { headers: { 'x-custom': 'v' } });
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, '/hello?x=1');
    assert.equal(echoed.headers['x-custom'], 'v');
    assert.equal(echoed.headers['x-forwarded-proto'], 'http');
    assert.match(echoed.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(echoed.headers['x-envoy-expected-rq-timeout-ms'], '15000');
    assert.equal(echoed.headers['host'], `127.0.0.1:${port}`);
    assert.equal(res.headers['server'], 'envoy');
    assert.match(String(res.headers['x-envoy-upstream-service-time']), /^\d+$/);
    assert.equal(res.headers['x-upstream'], 'a');
  });

  test('keeps the downstream connection alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/k${i}`, agent }, resolve);
        req.on('error', reject);
      });
      ports.add(res.socket.localPort ?? 0);
      res.resume();
      await new Promise((r) => res.on('end', r));
    }
    agent.destroy();
    assert.equal(ports.size, 1);
  });

  test('answers pipelined requests in order on one connection', async () => {
    const reqs = ['/p1', '/p2', '/p3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const { text } = await rawExchange(port, reqs, { idleMs: 500 });
    assert.deepEqual(statusCodes(text), [200, 200, 200]);
    const order = [...text.matchAll(/"url":"(\/p\d)"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['/p1', '/p2', '/p3']);
  });

  test('forwards a chunked request body and re-frames a chunked response', async () => {
    const { text } = await rawExchange(port, 'POST /hash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.ok(text.includes(createHash('sha256').update('hello world').digest('hex')));
    const chunked = await rawExchange(port, 'GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(chunked.text, /transfer-encoding: chunked/i);
    assert.ok(chunked.text.includes('part1-'));
    assert.ok(chunked.text.endsWith('0\r\n\r\n'));
  });

  test('forwards small binary bodies byte for byte, with a length or chunked', async () => {
    const expected = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) expected[i] = 255 - i;
    for (const path of ['/binary', '/binary-chunked']) {
      const got = await new Promise<Buffer>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, agent: false }, (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => resolve(Buffer.concat(chunks)));
          })
          .on('error', reject);
      });
      assert.ok(got.equals(expected), `${path}: body differs`);
    }
  });

  test('streams large bodies both ways intact', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
    const res = await request(port, '/hash', { method: 'POST', body });
    assert.equal(res.body, createHash('sha256').update(body).digest('hex'));
    const size = 16 * 1024 * 1024;
    const big = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/big', headers: { 'x-size': String(size) }, agent: false }, (r) => {
          let n = 0;
          r.on('data', (c: Buffer) => (n += c.length));
          r.on('end', () => resolve(n));
        })
        .on('error', reject);
    });
    assert.equal(big, size);
  });

  test('answers Expect: 100-continue itself and does not forward Expect', async () => {
    const { text } = await rawExchange(port, 'POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc');
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    assert.ok(!text.toLowerCase().includes('"expect"'));
    assert.ok(text.includes('"body":"abc"'));
  });

  test('sends no body for HEAD, 204 and 304 responses', async () => {
    const { text } = await rawExchange(port, 'HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statusCodes(text), [200, 204, 304]);
    assert.match(text, /content-length: \d+/i);
    assert.ok(!text.includes('"url"'));
  });

  test('serves HTTP/1.0 when accept_http_10 is set and closes the connection after', async () => {
    const { text, closed } = await rawExchange(port, 'GET /ten HTTP/1.0\r\nHost: x\r\n\r\n', { idleMs: 1000 });
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.match(text, /connection: close/i);
    assert.ok(closed);
  });

  test('honours Connection: close from the client', async () => {
    const { text, closed } = await rawExchange(port, 'GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { idleMs: 1000 });
    assert.match(text, /connection: close/i);
    assert.ok(closed);
  });

  test('forwards response trailers when enable_trailers is set', async () => {
    const { text } = await rawExchange(port, 'GET /trailers HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(text, /0\r\nx-checksum: abc\r\n\r\n$/);
  });

  test('times out a slow upstream with 504 and UT', async () => {
    const res = await request(port, '/slow');
    assert.equal(res.status, 504);
    assert.equal(res.body, 'upstream request timeout');
  });

  test('answers 400 and closes on a malformed request, then keeps serving', async () => {
    const bad = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', { idleMs: 1000 });
    assert.match(bad.text, /^HTTP\/1\.1 400/);
    assert.ok(bad.closed);
    const ok = await request(port, '/after');
    assert.equal(ok.status, 200);
  });

  test('answers 431 when the request headers exceed the limit', async () => {
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`;
    const { text } = await rawExchange(port, big, { idleMs: 1000 });
    assert.match(text, /^HTTP\/1\.1 431/);
  });

  test('records a downstream disconnect while the upstream is still working', async () => {
    const before = await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_rx_reset');
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_rx_reset'), before + 1);
  });
});

