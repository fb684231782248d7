import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { request, startProxyFromYaml, statusCodes, type TestProxy } from '@weft/testing';
import { RawConn, sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/** An upstream that answers `/slow/<ms>` after that many milliseconds, everything else at once. */
async function startDelayUpstream(): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    const delay = req.url?.startsWith('/slow/') ? Number(req.url.slice(6)) : 0;
    const t = setTimeout(() => {
      timers.delete(t);
      res.writeHead(200, { 'content-length': 4 });
      res.end('done');
    }, delay);
    timers.add(t);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function withProxy(fn: (proxy: TestProxy, up: Awaited<ReturnType<typeof startDelayUpstream>>) => Promise<void>): Promise<void> {
  const up = await startDelayUpstream();
  const proxy = await startProxyFromYaml(
    bootstrap(
      httpListener({ listenerExtra: 'stat_prefix: edge', routes: '- match: { prefix: "/" }\n  route: { cluster: backend, timeout: 0s }' }),
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

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('listener drain via /drain_listeners', () => {
  test('graceful drain: the in-flight request completes with connection: close, idle connections close, new ones get connection: close until the drain time ends, then are refused', async () => {
    await withProxy(async (proxy, up) => {
      const port = proxy.port('http');
      const idle = await RawConn.open(port);
      idle.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
      await idle.untilText(/done$/);
      const busy = await RawConn.open(port);
      busy.write('GET /slow/400 HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(async () => up.seen.includes('/slow/400'), 2000, 'the slow request to reach the upstream');
      assert.equal(await adminStat(proxy.adminPort, 'listener.edge.downstream_cx_active'), 2);

      const drain = await request(proxy.adminPort, '/drain_listeners?graceful', { method: 'POST' });
      assert.equal(drain.status, 200);
      await idle.untilClosed(500);
      const during = await request(port, '/new');
      assert.equal(during.status, 200);
      assert.equal(during.headers['connection'], 'close');

      await busy.untilClosed(2000);
      assert.deepEqual(statusCodes(busy.text), [200]);
      assert.match(busy.text, /\r\nconnection: close\r\n/i);
      assert.ok(busy.text.endsWith('\r\n\r\ndone'));
      await eventually(async () => (await adminStat(proxy.adminPort, 'listener.edge.downstream_cx_active')) === 0, 1000, 'no active connections');
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_drain_close'), 2);
      await eventually(async () => request(port, '/late').then(() => false, (err: Error) => /ECONNREFUSED/.test(err.message)), 2000, 'the listener to close after the drain time');
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_active'), 0);
      assert.equal((JSON.parse((await request(proxy.adminPort, '/server_info')).body) as { state: string }).state, 'DRAINING');
    });
  });

  test('graceful drain: a request still running when the drain time (1 s) ends is cut off', async () => {
    await withProxy(async (proxy) => {
      const busy = await RawConn.open(proxy.port('http'));
      busy.write('GET /slow/5000 HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(50);
      const started = Date.now();
      assert.equal((await request(proxy.adminPort, '/drain_listeners?graceful', { method: 'POST' })).status, 200);
      await busy.untilClosed(3000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 2500, `closed after ${elapsed} ms`);
      assert.equal(busy.text, '');
      await eventually(async () => (await adminStat(proxy.adminPort, 'listener.edge.downstream_cx_active')) === 0, 1000, 'no active connections');
    });
  });

  test('drain without graceful stops accepting but keeps serving existing connections', async () => {
    await withProxy(async (proxy) => {
      const port = proxy.port('http');
      const c = await RawConn.open(port);
      assert.equal((await request(proxy.adminPort, '/drain_listeners', { method: 'POST' })).status, 200);
      await sleep(50);
      await assert.rejects(request(port, '/new'), /ECONNREFUSED/);
      c.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.until((cc) => statusCodes(cc.text).length === 2, 2000, 'two responses');
      assert.deepEqual(statusCodes(c.text), [200, 200]);
      assert.equal(c.closed, false);
      assert.equal(await adminStat(proxy.adminPort, 'listener.edge.downstream_cx_active'), 1);
      c.destroy();
    });
  });
});
