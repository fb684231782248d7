import assert from 'node:assert/strict';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { createClusterStats } from './cluster-stats.js';
import { ConnectionPool, PoolError, type PooledConnection } from './connection-pool.js';
import { OutlierResult, type HostImpl } from './host.js';
import { mkHost } from './test-hosts.js';
import { TestScope } from './test-scope.js';

interface TestServer {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Resolves when the server has accepted `n` connections in total. */
  accepted(n: number): Promise<void>;
  /** Resolves when `n` accepted connections have closed. */
  closed(n: number): Promise<void>;
}

const servers: Server[] = [];
const pools: ConnectionPool[] = [];

async function listen(): Promise<TestServer> {
  const sockets: Socket[] = [];
  let closedCount = 0;
  const waiters: (() => void)[] = [];
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const server = createServer((s) => {
    sockets.push(s);
    s.resume(); // consume what clients send, or 'end'/'close' never come
    s.on('error', () => {});
    s.on('close', () => {
      closedCount++;
      notify();
    });
    notify();
  });
  servers.push(server);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const until = (cond: () => boolean): Promise<void> =>
    new Promise((res) => {
      const check = (): void => {
        if (cond()) res();
        else waiters.push(check);
      };
      check();
    });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    accepted: (n) => until(() => sockets.length >= n),
    closed: (n) => until(() => closedCount >= n),
  };
}

function makePool(host: HostImpl, opts: { idleTimeoutMs?: number; maxRequests?: number; connectTimeoutMs?: number; connect?: () => Socket; userReads?: boolean } = {}) {
  const scope = new TestScope();
  const stats = createClusterStats(scope.scope('cluster.svc'));
  const pool = new ConnectionPool({
    host,
    stats,
    connectTimeoutMs: opts.connectTimeoutMs ?? 1000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 0,
    maxRequestsPerConnection: opts.maxRequests ?? 0,
    connect: opts.connect,
    userReads: opts.userReads,
  });
  pools.push(pool);
  const stat = (name: string): number => scope.value(`cluster.svc.${name}`);
  return { pool, stat, scope };
}

function acquire(pool: ConnectionPool): Promise<PooledConnection> {
  return new Promise((resolve, reject) => {
    pool.acquire((err, conn) => (err ? reject(err) : resolve(conn as PooledConnection)));
  });
}

function acquireError(pool: ConnectionPool): Promise<PoolError> {
  return new Promise((resolve, reject) => {
    pool.acquire((err) => (err ? resolve(err) : reject(new Error('unexpectedly connected'))));
  });
}

const tick = (ms = 0): Promise<void> => new Promise((res) => setTimeout(res, ms));

afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

after(async () => {
  for (const s of servers) {
    s.close();
  }
});

describe('ConnectionPool', () => {
  it('reuses the most recently released idle connection first (LIFO)', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const [a, b] = await Promise.all([acquire(pool), acquire(pool)]);
    assert.notEqual(a.socket, b.socket);
    assert.equal(pool.activeCount, 2);
    pool.release(a, true);
    pool.release(b, true);
    assert.equal(pool.idleCount, 2);
    assert.equal((await acquire(pool)).socket, b.socket);
    assert.equal((await acquire(pool)).socket, a.socket);
    assert.equal(stat('upstream_cx_total'), 2);
    assert.equal(stat('upstream_cx_active'), 2);
    assert.equal(pool.host.stats.cx_total, 2);
  });

  it('hands out idle connections synchronously and counts pending requests only when connecting', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const c = await acquire(pool);
    assert.equal(stat('upstream_rq_pending_total'), 1);
    pool.release(c, true);
    let got: PooledConnection | undefined;
    const handle = pool.acquire((_err, conn) => {
      got = conn;
    });
    assert.equal(handle, undefined);
    assert.equal(got, c);
    assert.equal(got.requests, 2);
    assert.equal(stat('upstream_rq_pending_total'), 1);
    assert.equal(stat('upstream_rq_pending_active'), 0);
  });

  it('closes a connection after max requests per connection', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }), { maxRequests: 2 });
    const first = await acquire(pool);
    pool.release(first, true);
    const second = await acquire(pool);
    assert.equal(second.socket, first.socket);
    pool.release(second, true);
    assert.equal(stat('upstream_cx_max_requests'), 1);
    assert.equal(pool.idleCount, 0);
    assert.ok(second.socket.destroyed);
    const third = await acquire(pool);
    assert.notEqual(third.socket, first.socket);
    assert.equal(stat('upstream_cx_total'), 2);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
  });

  it('destroys a connection released as not reusable', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const c = await acquire(pool);
    c.socket.write('hello');
    pool.release(c, false);
    assert.ok(c.socket.destroyed);
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_destroy'), 1);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
    assert.equal(stat('upstream_cx_active'), 0);
    assert.equal(stat('upstream_cx_tx_bytes_total'), 5);
    assert.equal(stat('upstream_cx_max_requests'), 0);
    await srv.closed(1);
  });

  it('closes idle connections after the idle timeout', async () => {
    const srv = await listen();
    const { pool, stat, scope } = makePool(mkHost('127.0.0.1', { port: srv.port }), { idleTimeoutMs: 40 });
    const c = await acquire(pool);
    pool.release(c, true);
    assert.equal(pool.idleCount, 1);
    await srv.closed(1);
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_idle_timeout'), 1);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
    assert.equal(scope.histogramValues('cluster.svc.upstream_cx_length_ms').length, 1);
  });

  it('re-arms the idle timer each time a connection goes idle', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }), { idleTimeoutMs: 150 });
    let c = await acquire(pool);
    for (let i = 0; i < 4; i++) {
      pool.release(c, true);
      await tick(60);
      c = await acquire(pool); // 240 ms in total: it would have timed out without re-arming
    }
    assert.equal(stat('upstream_cx_total'), 1);
    assert.equal(stat('upstream_cx_idle_timeout'), 0);
  });

  it('fails with connect_failure and an Envoy-style reason when the connection is refused', async () => {
    const srv = await listen();
    const port = srv.port;
    await new Promise<void>((res) => srv.server.close(() => res()));
    const host = mkHost('127.0.0.1', { port });
    const { pool, stat } = makePool(host);
    const err = await acquireError(pool);
    assert.ok(err instanceof PoolError);
    assert.equal(err.kind, 'connect_failure');
    assert.equal(err.reason, 'delayed connect error: 111');
    assert.equal(err.code, 'WEFT_ERR_UPSTREAM_POOL');
    assert.equal(stat('upstream_cx_connect_fail'), 1);
    assert.equal(stat('upstream_cx_destroy_remote'), 1);
    assert.equal(stat('upstream_cx_active'), 0);
    assert.equal(host.stats.cx_connect_fail, 1);
    assert.equal(pool.isEmpty, true);
  });

  it('fails with timeout when the connect timeout passes (injected socket that never connects)', async () => {
    // A loopback connect cannot be made to hang reliably (Node always accepts), so the socket is injected.
    const never = new Socket();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: 9 }), { connectTimeoutMs: 30, connect: () => never });
    const started = Date.now();
    const err = await acquireError(pool);
    assert.equal(err.kind, 'timeout');
    assert.ok(Date.now() - started >= 25);
    assert.equal(stat('upstream_cx_connect_timeout'), 1);
    assert.equal(stat('upstream_cx_connect_fail'), 1);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
    assert.ok(never.destroyed);
  });

  it('drops an idle connection the server closes', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const c = await acquire(pool);
    await srv.accepted(1);
    pool.release(c, true);
    srv.sockets[0]?.end();
    await new Promise((res) => c.socket.once('close', res));
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_destroy_remote'), 1);
    const fresh = await acquire(pool);
    assert.notEqual(fresh.socket, c.socket);
  });

  it('drops an idle connection that receives unexpected bytes', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const c = await acquire(pool);
    await srv.accepted(1);
    pool.release(c, true);
    srv.sockets[0]?.write('HTTP/1.1 408 Request Timeout\r\n\r\n');
    await srv.closed(1);
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
  });

  it('counts a connection the server closes mid-request as destroyed with an active request', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const c = await acquire(pool);
    c.socket.on('error', () => {});
    await srv.accepted(1);
    srv.sockets[0]?.destroy();
    await new Promise((res) => c.socket.once('close', res));
    assert.equal(pool.activeCount, 0);
    assert.equal(stat('upstream_cx_destroy_remote_with_active_rq'), 1);
    pool.release(c, true); // late release of a dead connection is harmless
    assert.equal(pool.idleCount, 0);
  });

  it('does not call back a cancelled request and parks its connection as idle', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    let called = false;
    const handle = pool.acquire(() => {
      called = true;
    });
    assert.ok(handle);
    handle.cancel();
    await srv.accepted(1);
    await tick(10);
    assert.equal(called, false);
    assert.equal(pool.idleCount, 1);
    assert.equal(stat('upstream_rq_cancelled'), 1);
    assert.equal(stat('upstream_rq_pending_active'), 0);
  });

  it('serves a waiting request with a released connection', async () => {
    const never = new Socket();
    const srv = await listen();
    let n = 0;
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }), {
      // The first connection is real, the second never connects: the waiting request gets the released one.
      connect: () => (n++ === 0 ? new Socket().connect(srv.port, '127.0.0.1') : never),
    });
    const first = await acquire(pool);
    const waiting = acquire(pool);
    assert.equal(pool.pendingCount, 1);
    pool.release(first, true);
    assert.equal((await waiting).socket, first.socket);
  });

  it('drain closes idle connections now and busy ones on release', async () => {
    const srv = await listen();
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }));
    const [a, b] = await Promise.all([acquire(pool), acquire(pool)]);
    pool.release(a, true);
    pool.drain();
    assert.equal(pool.idleCount, 0);
    assert.ok(a.socket.destroyed);
    pool.release(b, true);
    assert.ok(b.socket.destroyed);
    const c = await acquire(pool);
    assert.ok(c.socket !== a.socket && c.socket !== b.socket);
  });

  it('close fails waiting requests and destroys every connection', async () => {
    const never = new Socket();
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }), { connect: () => never });
    const failed = acquireError(pool);
    pool.close();
    const err = await failed;
    assert.equal(err.kind, 'connect_failure');
    assert.ok(never.destroyed);
    assert.equal(stat('upstream_cx_active'), 0);
    assert.equal((await acquireError(pool)).reason, 'connection pool closed');
  });
});

describe('ConnectionPool with userReads', () => {
  const chunks = (): { got: string[]; reader: { onConnectionData(c: Buffer): void } } => {
    const got: string[] = [];
    return { got, reader: { onConnectionData: (c) => got.push(c.toString()) } };
  };

  it('hands reads to the connection reader as stable copies, without data events', async () => {
    const srv = await listen();
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    await srv.accepted(1);
    const kept: Buffer[] = [];
    let dataEvents = 0;
    c.socket.on('data', () => dataEvents++);
    c.reader = { onConnectionData: (chunk) => kept.push(chunk) };
    srv.sockets[0]?.write('first');
    await tick(20);
    srv.sockets[0]?.write('second');
    await tick(20);
    assert.equal(Buffer.concat(kept).toString(), 'firstsecond');
    assert.equal(kept[0]?.toString().startsWith('first'), true, 'an earlier chunk is not overwritten by a later read');
    assert.equal(dataEvents, 0);
  });

  it('emits data events when no reader is set', async () => {
    const srv = await listen();
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    await srv.accepted(1);
    const got = new Promise<string>((res) => c.socket.once('data', (d: Buffer) => res(d.toString())));
    srv.sockets[0]?.write('hello');
    assert.equal(await got, 'hello');
  });

  it('keeps the reader across requests and stops reading while paused', async () => {
    const srv = await listen();
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    await srv.accepted(1);
    const { got, reader } = chunks();
    c.reader = reader;
    pool.release(c, true);
    const again = await acquire(pool);
    assert.equal(again, c);
    assert.equal(again.reader, reader);
    again.socket.pause();
    srv.sockets[0]?.write('while-paused');
    await tick(30);
    assert.deepEqual(got, []);
    again.socket.resume();
    await tick(30);
    assert.deepEqual(got, ['while-paused']);
  });

  it('drops an idle connection that receives unexpected bytes', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    await srv.accepted(1);
    const { got, reader } = chunks();
    c.reader = reader;
    pool.release(c, true);
    srv.sockets[0]?.write('HTTP/1.1 408 Request Timeout\r\n\r\n');
    await srv.closed(1);
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
    assert.deepEqual(got, []);
  });

  it('drops an idle connection the upstream closes (EOF seen through the direct read path)', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    await srv.accepted(1);
    pool.release(c, true);
    const parked = pool.idleCount;
    assert.equal(parked, 1);
    srv.sockets[0]?.end();
    for (let i = 0; i < 100 && pool.idleCount !== 0; i++) await tick(10);
    assert.equal(pool.idleCount, 0);
    assert.equal(stat('upstream_cx_destroy_remote'), 1);
    assert.ok(c.socket.destroyed);
  });

  it('reports the formatted local address', async () => {
    const srv = await listen();
    const { pool } = makePool(mkHost('127.0.0.1', { port: srv.port }), { userReads: true });
    const c = await acquire(pool);
    assert.equal(c.localAddress, `127.0.0.1:${c.socket.localPort}`);
  });
});

describe('ConnectionPool outlier-detection reports', () => {
  function recorder(host: HostImpl): number[] {
    const results: number[] = [];
    host.outlier = { putHttpResponseCode: () => {}, putResult: (r) => results.push(r), numEjections: 0, successRate: -1, localOriginSuccessRate: -1 };
    return results;
  }

  it('reports a connect success on every hand-out, new or reused', async () => {
    const srv = await listen();
    const host = mkHost('127.0.0.1', { port: srv.port });
    const results = recorder(host);
    const { pool } = makePool(host);
    const c = await acquire(pool);
    pool.release(c, true);
    await acquire(pool);
    assert.deepEqual(results, [OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS, OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS]);
  });

  it('reports a refused connection as a connect failure and a connect timeout as a timeout', async () => {
    const srv = await listen();
    const port = srv.port;
    await new Promise<void>((r) => srv.server.close(() => r()));
    const refused = mkHost('127.0.0.1', { port });
    const results = recorder(refused);
    await acquireError(makePool(refused).pool);
    assert.deepEqual(results, [OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED]);
    const slow = mkHost('127.0.0.1', { port: 1 });
    const slowResults = recorder(slow);
    await acquireError(makePool(slow, { connectTimeoutMs: 10, connect: () => new Socket() }).pool);
    assert.deepEqual(slowResults, [OutlierResult.LOCAL_ORIGIN_TIMEOUT]);
  });
});
