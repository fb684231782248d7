import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream, type UpstreamHandler } from '@weft/testing';
import { closeSession, goawayCodeFor, h2connect, h2request } from './h2-client.js';
import { sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { RawH2 } from './h2-raw.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

async function withProxy(
  fn: (proxy: TestProxy, up: TestUpstream) => Promise<void>,
  opts: { hcmExtra?: string; handler?: UpstreamHandler; routes?: string } = {},
): Promise<void> {
  const up = await startUpstream('backend', opts.handler);
  const proxy = await startProxyFromYaml(
    bootstrap(
      httpListener({
        hcmExtra: opts.hcmExtra ?? '',
        routes: opts.routes ?? '- match: { prefix: "/" }\n  route: { cluster: backend }',
      }),
      staticCluster('backend', [up.port]),
    ),
  );
  try {
    await fn(proxy, up);
  } finally {
    await proxy.close();
    await up.close();
  }
}

/** Sends `requests` (field lists) as HEADERS on streams 1, 3, ... of a raw h2c connection; resolves per stream `rst <code>` or `headers` (answered), once each stream got one. */
async function rawStreams(port: number, requests: Array<Array<[string, string]>>): Promise<Map<number, string>> {
  const c = await RawH2.connect(port);
  try {
    c.send((w) => requests.forEach((fields, i) => c.fields(w, 1 + 2 * i, fields, true)));
    return await c.firstAnswers(requests.map((_, i) => 1 + 2 * i));
  } finally {
    c.destroy();
  }
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('downstream HTTP/2 (h2c prior knowledge, codec_type AUTO)', () => {
  test('streams of one h2c connection reach an HTTP/1.1 upstream: methods, bodies, :authority as host, cookies joined', async () => {
    await withProxy(async (proxy, up) => {
      const port = proxy.port('http');
      const s = h2connect(port);
      const [get, post, put, del, head] = await Promise.all([
        h2request(s, { ':path': '/get?a=1', ':authority': 'example.com', cookie: ['a=1', 'b=2'] }),
        h2request(s, { ':method': 'POST', ':path': '/post', ':authority': 'example.com', 'content-type': 'text/plain' }, 'hello body'),
        h2request(s, { ':method': 'PUT', ':path': '/put', ':authority': 'example.com' }, Buffer.alloc(100_000, 7)),
        h2request(s, { ':method': 'DELETE', ':path': '/del', ':authority': 'example.com' }),
        h2request(s, { ':method': 'HEAD', ':path': '/head', ':authority': 'example.com' }),
      ]);
      await closeSession(s);
      for (const r of [get, post, put, del, head]) assert.equal(r.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'] !== undefined, true);
      const echo = JSON.parse(get.body.toString()) as { method: string; url: string; headers: Record<string, string> };
      assert.equal(echo.method, 'GET');
      assert.equal(echo.url, '/get?a=1');
      assert.equal(echo.headers['host'], 'example.com');
      assert.equal(echo.headers['cookie'], 'a=1; b=2');
      assert.equal(get.headers['x-upstream'], 'backend');
      assert.equal(JSON.parse(post.body.toString()).body, 'hello body');
      const putReq = up.requests.find((r) => r.url === '/put');
      assert.equal(putReq?.body.length, 100_000);
      assert.equal(up.requests.find((r) => r.url === '/del')?.method, 'DELETE');
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_http2_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_http1_total'), 0);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_http2_total'), 5);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_http1_total'), 0);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_2xx'), 5);
      await eventually(async () => (await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_http2_active')) === 0, 'the connection to close');
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_destroy_remote'), 1);
    });
  });

  test('Expect: 100-continue gets an interim 100 from the proxy and is not forwarded', async () => {
    await withProxy(async (proxy, up) => {
      const s = h2connect(proxy.port('http'));
      const req = s.request({ ':method': 'POST', ':path': '/expect', ':authority': 'x', expect: '100-continue' });
      req.on('error', () => {});
      await new Promise<void>((resolve) => req.once('continue', () => resolve()));
      req.end('after continue');
      const status = await new Promise<number>((resolve) => req.once('response', (h) => resolve(Number(h[':status']))));
      req.resume();
      await new Promise<void>((resolve) => req.once('close', () => resolve()));
      await closeSession(s);
      assert.equal(status, 200);
      assert.equal(up.requests[0]?.headers['expect'], undefined);
      assert.equal(up.requests[0]?.body.toString(), 'after continue');
    });
  });

  test('HTTP/1.1 still works on the same AUTO listener', async () => {
    await withProxy(async (proxy) => {
      const res = await request(proxy.port('http'), '/h1');
      assert.equal(res.status, 200);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_http1_total'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_http2_total'), 0);
    });
  });

  test('a request with trailers reaches an HTTP/1 upstream; a response without trailers ends cleanly (no RST)', async () => {
    await withProxy(async (proxy, up) => {
      const s = h2connect(proxy.port('http'));
      const r = await h2request(s, { ':method': 'POST', ':path': '/t', ':authority': 'x' }, undefined, { 'x-trailer': 'v' });
      await closeSession(s);
      assert.equal(r.status, 200);
      assert.equal(r.rstCode, 0);
      assert.equal(r.trailers, undefined);
      assert.equal(up.requests[0]?.url, '/t');
      assert.equal(await adminStat(proxy.adminPort, 'http2.trailers'), 1);
    });
  });

  test('upstream response trailers (chunked HTTP/1) reach the h2 client as a trailing HEADERS frame', async () => {
    const handler: UpstreamHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('part');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const r = await h2request(s, { ':path': '/tr', ':authority': 'x' });
        await closeSession(s);
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), 'part');
        assert.equal(r.trailers?.['x-checksum'], 'abc');
      },
      { handler },
    );
  });

  test('client RST_STREAM mid-response resets the stream: downstream_rq_rx_reset, http2.rx_reset, DC', async () => {
    const handler: UpstreamHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first');
      // never ends
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const req = s.request({ ':path': '/slow', ':authority': 'x' }, { endStream: true });
        req.on('error', () => {});
        await new Promise<void>((resolve) => req.once('data', () => resolve()));
        req.close(0x8); // CANCEL
        await eventually(async () => (await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_rx_reset')) === 1, 'rx reset');
        assert.equal(await adminStat(proxy.adminPort, 'http2.rx_reset'), 1);
        assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_active'), 0);
        // The connection survives the stream reset.
        const again = await h2request(s, { ':path': '/other', ':authority': 'x' });
        assert.equal(again.status, 200);
        await closeSession(s);
      },
      { handler: (req, res, body) => (req.url === '/slow' ? handler(req, res, body) : res.end('ok')) },
    );
  });

  test('graceful drain sends GOAWAY: the in-flight stream completes, then the connection closes', async () => {
    let release: (() => void) | undefined;
    const handler: UpstreamHandler = (_req, res) => {
      release = () => res.end('late');
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        let goaway = false;
        s.on('goaway', () => {
          goaway = true;
        });
        const inflight = h2request(s, { ':path': '/inflight', ':authority': 'x' });
        await eventually(() => release !== undefined, 'the upstream to get the request');
        const drain = await request(proxy.adminPort, '/drain_listeners?graceful', { method: 'POST' });
        assert.equal(drain.status, 200);
        await eventually(() => goaway, 'GOAWAY');
        release?.();
        const r = await inflight;
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), 'late');
        await eventually(() => s.destroyed || s.closed, 'the session to end');
        assert.equal(await adminStat(proxy.adminPort, 'http2.goaway_sent'), 1);
        assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_drain_close'), 1);
      },
      { handler },
    );
  });

  test('graceful drain goes in two steps: GOAWAY with stream 2^31-1 first, the final GOAWAY (last stream taken) once the PING sent with it is acked', async () => {
    let release: (() => void) | undefined;
    const handler: UpstreamHandler = (req, res) => {
      if (req.url === '/held') release = () => res.end('late');
      else res.end('ok');
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const goaways: Array<{ last: number; atMs: number }> = [];
        s.on('goaway', (_code: number, last: number) => goaways.push({ last, atMs: performance.now() }));
        assert.equal((await h2request(s, { ':path': '/1', ':authority': 'x' })).status, 200);
        // Stream 3 stays in flight: Node's client closes an idle session at the first GOAWAY.
        const held = h2request(s, { ':path': '/held', ':authority': 'x' });
        await eventually(() => release !== undefined, 'the upstream to get the request');
        const started = performance.now();
        assert.equal((await request(proxy.adminPort, '/drain_listeners?graceful', { method: 'POST' })).status, 200);
        await eventually(() => goaways.length === 2, 'the final GOAWAY');
        assert.deepEqual(goaways.map((g) => g.last), [2 ** 31 - 1, 3]);
        // The client acked the PING: no need to wait for the 10 s drain_timeout.
        const after = (goaways[1]?.atMs ?? 0) - started;
        assert.ok(after < 2000, `final GOAWAY after ${after} ms`);
        release?.();
        const r = await held;
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), 'late');
        await eventually(() => s.destroyed || s.closed, 'the session to end');
        assert.equal(await adminStat(proxy.adminPort, 'http2.goaway_sent'), 1);
      },
      { hcmExtra: 'drain_timeout: 10s', handler },
    );
  });

  test('max_requests_per_connection sends GOAWAY after the Nth stream', async () => {
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        let goaway = false;
        s.on('goaway', () => {
          goaway = true;
        });
        const a = await h2request(s, { ':path': '/1', ':authority': 'x' });
        const b = await h2request(s, { ':path': '/2', ':authority': 'x' });
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        await eventually(() => goaway, 'GOAWAY');
        assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_max_requests_reached'), 1);
        await closeSession(s);
      },
      { hcmExtra: 'common_http_protocol_options: { max_requests_per_connection: 2 }' },
    );
  });

  test('malformed frames get a GOAWAY with their error code and that connection closes; the others are unaffected', async () => {
    await withProxy(async (proxy) => {
      const port = proxy.port('http');
      // A SETTINGS frame whose length is not a multiple of 6 (FRAME_SIZE_ERROR) then junk.
      const a = await goawayCodeFor(port, [Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]), Buffer.alloc(64, 0xff)]);
      assert.equal(a, 6);
      // A DATA frame on stream 0 (PROTOCOL_ERROR).
      const b = await goawayCodeFor(port, [Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])]);
      assert.equal(b, 1);
      const s = h2connect(port);
      const ok = await h2request(s, { ':path': '/after', ':authority': 'x' });
      await closeSession(s);
      assert.equal(ok.status, 200);
      // As Envoy: the proxy closes a connection after the GOAWAY of a protocol error (no idle timeout needed).
      await eventually(async () => (await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_active')) === 0, 'every connection to close');
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_protocol_error'), 2);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_destroy_local'), 2);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_idle_timeout'), 0);
    }, { hcmExtra: 'common_http_protocol_options: { idle_timeout: 0.3s }' });
  });

  test('a slow h2 reader does not make the proxy buffer the whole upstream body', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const handler: UpstreamHandler = (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
        finished = true;
      };
      pump();
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const req = s.request({ ':path': '/big', ':authority': 'x' }, { endStream: true });
        req.on('error', () => {});
        let received = 0;
        req.on('data', (c: Buffer) => {
          received += c.length;
          if (received > 256 * 1024) req.pause();
        });
        await eventually(() => written > 0, 'the upstream to start');
        await sleep(300);
        assert.equal(finished, false);
        assert.ok(written < 24 * 1024 * 1024, `upstream wrote ${written} bytes into a stalled stream`);
        req.close(0x8);
        s.destroy();
      },
      { handler },
    );
  });

  test('a slow upstream stalls an h2 upload (stream window = buffer limit) instead of the proxy buffering it', async () => {
    // An upstream that accepts the connection and never reads.
    const silent = net.createServer((sock) => {
      sock.pause();
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: backend, timeout: 0s }' }),
        staticCluster('backend', [(silent.address() as net.AddressInfo).port]),
      ),
    );
    try {
      const s = h2connect(proxy.port('http'));
      const req = s.request({ ':method': 'POST', ':path': '/upload', ':authority': 'x' });
      req.on('error', () => {});
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 3);
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
      let last = -1;
      await eventually(
        async () => {
          const stalled = sent === last;
          last = sent;
          await sleep(100);
          return stalled;
        },
        'the upload to stall',
        5000,
      );
      // Kernel buffers of two loopback sockets plus one stream window (1 MiB) at most; never the whole 64 MiB.
      assert.ok(sent < 24 * 1024 * 1024, `the client got ${sent} bytes accepted while the upstream read nothing`);
      req.close(0x8);
      s.destroy();
    } finally {
      await proxy.close();
      silent.close();
    }
  });

  test('stream_idle_timeout applies per stream: 504 for the idle one, its sibling on the same connection is unaffected', async () => {
    const handler: UpstreamHandler = (req, res) => {
      if (req.url === '/hang') return;
      res.end('ok');
    };
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const [idle, ok] = await Promise.all([h2request(s, { ':path': '/hang', ':authority': 'x' }), h2request(s, { ':path': '/fine', ':authority': 'x' })]);
        assert.equal(ok.status, 200);
        assert.equal(idle.status, 504);
        assert.equal(idle.body.toString(), 'stream timeout');
        assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_idle_timeout'), 1);
        // The connection is still usable.
        const again = await h2request(s, { ':path': '/fine', ':authority': 'x' });
        assert.equal(again.status, 200);
        await closeSession(s);
      },
      { handler, hcmExtra: 'stream_idle_timeout: 0.2s' },
    );
  });

  test('a response that ends before the request body does closes the stream cleanly (NO_ERROR), the connection stays', async () => {
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const req = s.request({ ':method': 'POST', ':path': '/nowhere', ':authority': 'x' });
        req.on('error', () => {});
        req.write('partial body');
        const result = await new Promise<{ status: number; rst: number | undefined }>((resolve) => {
          let status = 0;
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('close', () => resolve({ status, rst: req.rstCode }));
          req.resume();
        });
        assert.deepEqual(result, { status: 404, rst: 0 });
        assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_rx_reset'), 0);
        const again = await h2request(s, { ':path': '/x', ':authority': 'x' });
        assert.equal(again.status, 200);
        await closeSession(s);
      },
      { routes: '- match: { prefix: "/x" }\n  route: { cluster: backend }' },
    );
  });

  test('malformed requests are reset with PROTOCOL_ERROR (http2.rx_messaging_error), a valid one on the same connection is served', async () => {
    await withProxy(async (proxy) => {
      const base: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']];
      const seen = await rawStreams(proxy.port('http'), [
        [...base, ['X-Upper', '1']],
        [[':method', 'GET'], [':scheme', 'http'], [':authority', 'x']],
        [...base, ['connection', 'keep-alive']],
        [[':method', 'GET'], ['x-a', '1'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']],
        [...base, [':status', '200']],
        [...base, ['content-length', '5']], // END_STREAM: a promised body that never comes
        [...base, ['content-length', '0'], ['content-length', '1']],
        base,
      ]);
      assert.deepEqual([...seen.entries()].sort((a, b) => a[0] - b[0]), [
        [1, 'rst 1'],
        [3, 'rst 1'],
        [5, 'rst 1'],
        [7, 'rst 1'],
        [9, 'rst 1'],
        [11, 'rst 1'],
        [13, 'rst 1'],
        [15, 'headers'],
      ]);
      assert.equal(await adminStat(proxy.adminPort, 'http2.rx_messaging_error'), 7);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_total'), 1);
    });
  });

  test('request trailers with a pseudo-header or an invalid field are reset with PROTOCOL_ERROR; valid ones are forwarded', async () => {
    await withProxy(async (proxy) => {
      const trailers: Array<Array<[string, string]>> = [[[':path', '/x']], [['X-Upper', '1']], [['connection', 'close']], [['x-ok', '1']]];
      const c = await RawH2.connect(proxy.port('http'));
      const ids = trailers.map((_, i) => 1 + 2 * i);
      let seen: Map<number, string>;
      try {
        c.send((w) =>
          trailers.forEach((t, i) => {
            c.fields(w, 1 + 2 * i, [[':method', 'POST'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']], false);
            c.fields(w, 1 + 2 * i, t, true);
          }),
        );
        seen = await c.firstAnswers(ids);
      } finally {
        c.destroy();
      }
      assert.deepEqual([...seen.entries()].sort((a, b) => a[0] - b[0]), [
        [1, 'rst 1'],
        [3, 'rst 1'],
        [5, 'rst 1'],
        [7, 'headers'],
      ]);
      assert.equal(await adminStat(proxy.adminPort, 'http2.rx_messaging_error'), 3);
      assert.equal(await adminStat(proxy.adminPort, 'http2.trailers'), 1);
    });
  });

  test('a body longer than its content-length is reset with PROTOCOL_ERROR and never reaches the HTTP/1 upstream whole', async () => {
    await withProxy(async (proxy, up) => {
      const s = h2connect(proxy.port('http'));
      const req = s.request({ ':method': 'POST', ':path': '/cl', ':authority': 'x', 'content-length': '3' });
      req.on('error', () => {});
      req.end('hello, this is more than three bytes');
      const rst = await new Promise<number | undefined>((resolve) => req.on('close', () => resolve(req.rstCode)));
      assert.equal(rst, 1);
      const ok = await h2request(s, { ':path': '/after', ':authority': 'x' });
      assert.equal(ok.status, 200);
      await closeSession(s);
      assert.equal(up.requests.some((r) => r.url === '/cl' && r.body.length > 3), false);
      assert.equal(up.requests.filter((r) => r.url !== '/cl' && r.url !== '/after').length, 0);
    });
  });

  test('streams beyond max_concurrent_streams are refused (REFUSED_STREAM), the others are served', async () => {
    await withProxy(
      async (proxy) => {
        const base: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/slow'], [':authority', 'x']];
        const seen = await rawStreams(proxy.port('http'), [base, base, base]);
        assert.deepEqual([...seen.entries()].sort((a, b) => a[0] - b[0]), [
          [1, 'headers'],
          [3, 'headers'],
          [5, 'rst 7'],
        ]);
      },
      { hcmExtra: 'http2_protocol_options: { max_concurrent_streams: 2 }', handler: (_req, res) => setTimeout(() => res.end('ok'), 100) },
    );
  });

  test('codec_type HTTP2 refuses HTTP/1 bytes; http2_protocol_options are applied (max_concurrent_streams)', async () => {
    await withProxy(
      async (proxy) => {
        const s = h2connect(proxy.port('http'));
        const settings = await new Promise<{ maxConcurrentStreams?: number; initialWindowSize?: number }>((resolve) => s.once('remoteSettings', resolve));
        assert.equal(settings.maxConcurrentStreams, 7);
        assert.equal(settings.initialWindowSize, 131072);
        await closeSession(s);
        const h1 = await request(proxy.port('http'), '/h1').catch((e: Error) => e);
        assert.ok(h1 instanceof Error);
      },
      { hcmExtra: 'codec_type: HTTP2\nhttp2_protocol_options: { max_concurrent_streams: 7, initial_stream_window_size: 131072 }' },
    );
  });
});
