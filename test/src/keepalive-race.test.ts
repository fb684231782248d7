import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { RawConn } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, fileAccessLog, httpListener, staticCluster } from './yaml.js';

/**
 * The keep-alive race, made deterministic: an upstream that answers the first request of every connection with a
 * keep-alive response and closes the connection (without answering) when a second request arrives on it — exactly
 * what a server closing an idle connection at the moment the proxy reuses it looks like. Paths steer it:
 * a path containing `/slow` is answered after 60 ms, `/close-first...` closes even a first request, `/rst/` closes with RST.
 */
interface RaceUpstream {
  readonly port: number;
  /** `conn <n> <method> <path> <body>` per answered request, in order. */
  readonly answered: string[];
  /** Requests the upstream closed the connection on, `conn <n> <method> <path>`. */
  readonly dropped: string[];
  close(): Promise<void>;
}

async function startRaceUpstream(): Promise<RaceUpstream> {
  const answered: string[] = [];
  const dropped: string[] = [];
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const server = net.createServer((s) => {
    const id = ++conns;
    let requests = 0;
    let buf = '';
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const [method = '', target = ''] = (head.split('\r\n')[0] ?? '').split(' ');
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        requests++;
        if (requests > 1 || target.startsWith('/close-first')) {
          dropped.push(`conn ${id} ${method} ${target}`);
          if (target.includes('/rst')) s.resetAndDestroy();
          else s.destroy();
          return;
        }
        const len = cl ? Number(cl[1]) : 0;
        if (buf.length < end + 4 + len) return;
        const body = buf.slice(end + 4, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        const text = `conn ${id} ${method} ${target} ${body}`;
        const answer = (): void => {
          answered.push(text);
          s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
        };
        if (target.includes('/slow')) setTimeout(answer, 60);
        else answer();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    answered,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const CLUSTERS = ['get', 'rst', 'two', 'post', 'stream', 'held', 'first', 'once'];

describe('the keep-alive race: a reused upstream connection closed before any response byte', () => {
  let dir: string;
  let logFile: string;
  let up: RaceUpstream;
  let proxy: TestProxy;
  let port: number;
  let admin: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-karace-'));
    logFile = path.join(dir, 'access.log');
    up = await startRaceUpstream();
    const routes = CLUSTERS.map((c) => {
      // `held`: a retry policy that never fires on a reset keeps the request body replayable.
      const extra = c === 'held' ? ', retry_policy: { retry_on: retriable-status-codes, retriable_status_codes: [418] }' : '';
      return `- match: { prefix: "/${c}/" }\n  route: { cluster: ${c}${extra} }\n- match: { prefix: "/close-first/${c}/" }\n  route: { cluster: ${c} }`;
    }).join('\n');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ hcmExtra: fileAccessLog(logFile, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS%'), routes }),
        CLUSTERS.map((c) => staticCluster(c, [up.port])).join(''),
      ),
    );
    port = proxy.port('http');
    admin = proxy.adminPort;
  });

  after(async () => {
    await proxy.close();
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stat = (cluster: string, name: string): Promise<number> => adminStat(admin, `cluster.${cluster}.${name}`);

  async function stats(cluster: string): Promise<Record<string, number>> {
    const names = ['upstream_rq_retry_reused_connection', 'upstream_rq_total', 'upstream_rq_200', 'upstream_cx_total', 'upstream_cx_destroy_remote_with_active_rq', 'upstream_rq_retry'];
    const out: Record<string, number> = {};
    for (const n of names) out[n] = await stat(cluster, n);
    return out;
  }

  function logLines(prefix: string): string[] {
    flushAllAccessLogs();
    return readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(prefix));
  }

  test('an idempotent GET whose reused connection is closed (FIN) is re-sent once on a fresh connection', async () => {
    const first = await request(port, '/get/1');
    assert.equal(first.status, 200);
    const second = await request(port, '/get/2');
    assert.equal(second.status, 200);
    assert.match(second.body, /^conn \d+ GET \/get\/2 $/);
    assert.notEqual(second.body.split(' ')[1], first.body.split(' ')[1], 'answered on another connection');
    assert.deepEqual(await stats('get'), {
      upstream_rq_retry_reused_connection: 1,
      upstream_rq_total: 3,
      upstream_rq_200: 2,
      upstream_cx_total: 2,
      upstream_cx_destroy_remote_with_active_rq: 1,
      upstream_rq_retry: 0,
    });
    assert.deepEqual(logLines('/get/'), ['/get/1 200 -', '/get/2 200 -']);
  });

  test('the same when the upstream answers the reused connection with a RST', async () => {
    assert.equal((await request(port, '/rst/1')).status, 200);
    const r = await request(port, '/rst/2');
    assert.equal(r.status, 200);
    assert.match(r.body, /^conn \d+ GET \/rst\/2 $/);
    assert.equal(await stat('rst', 'upstream_rq_retry_reused_connection'), 1);
    assert.equal(await stat('rst', 'upstream_cx_total'), 2);
  });

  test('the re-send takes a newly opened connection, not another idle (possibly stale) one', async () => {
    // Two connections in the pool, both idle after these.
    const [a, b] = await Promise.all([request(port, '/two/slow-a'), request(port, '/two/slow-b')]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(await stat('two', 'upstream_cx_total'), 2);
    const r = await request(port, '/two/3');
    assert.equal(r.status, 200);
    assert.match(r.body, /^conn \d+ GET \/two\/3 $/);
    assert.equal(await stat('two', 'upstream_cx_total'), 3);
    assert.equal(await stat('two', 'upstream_rq_retry_reused_connection'), 1);
  });

  test('a POST (not idempotent) is not re-sent: 503 UC', async () => {
    assert.equal((await request(port, '/post/1')).status, 200);
    const r = await request(port, '/post/2', { method: 'POST', body: 'payload' });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
    assert.deepEqual(await stats('post'), {
      upstream_rq_retry_reused_connection: 0,
      upstream_rq_total: 2,
      upstream_rq_200: 1,
      upstream_cx_total: 1,
      upstream_cx_destroy_remote_with_active_rq: 1,
      upstream_rq_retry: 0,
    });
    assert.deepEqual(logLines('/post/'), ['/post/1 200 -', '/post/2 503 UC']);
  });

  test('a PUT whose streamed body already went out unbuffered is not re-sent: 503 UC', async () => {
    assert.equal((await request(port, '/stream/1')).status, 200);
    const c = await RawConn.open(port);
    try {
      c.write('PUT /stream/2 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
      await c.untilText(/\r\n\r\nupstream connect error/);
      assert.match(c.text, /^HTTP\/1\.1 503 /);
    } finally {
      c.destroy();
    }
    assert.equal(await stat('stream', 'upstream_rq_retry_reused_connection'), 0);
    assert.equal(await stat('stream', 'upstream_cx_total'), 1);
    assert.deepEqual(logLines('/stream/'), ['/stream/1 200 -', '/stream/2 503 UC']);
  });

  test('a PUT whose body is held (a retry policy is on) is re-sent with its body, not counted as a retry', async () => {
    assert.equal((await request(port, '/held/1')).status, 200);
    const r = await request(port, '/held/2', { method: 'PUT', body: 'abc' });
    assert.equal(r.status, 200);
    assert.match(r.body, /^conn \d+ PUT \/held\/2 abc$/);
    assert.deepEqual(await stats('held'), {
      upstream_rq_retry_reused_connection: 1,
      upstream_rq_total: 3,
      upstream_rq_200: 2,
      upstream_cx_total: 2,
      upstream_cx_destroy_remote_with_active_rq: 1,
      upstream_rq_retry: 0,
    });
  });

  test("a connection's first request (nothing reused) closed under it is not re-sent: 503 UC", async () => {
    const r = await request(port, '/close-first/first/1');
    assert.equal(r.status, 503);
    assert.equal(await stat('first', 'upstream_rq_retry_reused_connection'), 0);
    assert.equal(await stat('first', 'upstream_rq_total'), 1);
    assert.equal(await stat('first', 'upstream_cx_total'), 1);
    assert.deepEqual(logLines('/close-first/first/'), ['/close-first/first/1 503 UC']);
  });

  test('only once: when the fresh connection is closed too, the request fails with 503 UC', async () => {
    assert.equal((await request(port, '/once/1')).status, 200);
    const r = await request(port, '/close-first/once/2');
    assert.equal(r.status, 503);
    assert.deepEqual(await stats('once'), {
      upstream_rq_retry_reused_connection: 1,
      upstream_rq_total: 3,
      upstream_rq_200: 1,
      upstream_cx_total: 2,
      upstream_cx_destroy_remote_with_active_rq: 2,
      upstream_rq_retry: 0,
    });
    assert.deepEqual(logLines('/close-first/once/'), ['/close-first/once/2 503 UC']);
  });
});
