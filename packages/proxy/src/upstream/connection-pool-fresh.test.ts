import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ClusterResources, DEFAULT_CIRCUIT_BREAKERS } from './circuit-breakers.js';
import { createClusterStats } from './cluster-stats.js';
import { ConnectionPool, type PooledConnection } from './connection-pool.js';
import { mkHost } from './test-hosts.js';
import { TestScope } from './test-scope.js';

const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function listen(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.resume();
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

function makePool(port: number, maxConnections?: number): { pool: ConnectionPool; stat: (name: string) => number } {
  const scope = new TestScope();
  const clusterScope = scope.scope('cluster.svc');
  const resources =
    maxConnections === undefined ? undefined : new ClusterResources({ ...DEFAULT_CIRCUIT_BREAKERS.DEFAULT, maxConnections }, clusterScope, 'DEFAULT');
  const pool = new ConnectionPool({
    host: mkHost('127.0.0.1', { port }),
    stats: createClusterStats(clusterScope),
    connectTimeoutMs: 1000,
    idleTimeoutMs: 0,
    maxRequestsPerConnection: 0,
    resources,
  });
  cleanups.push(() => pool.close());
  return { pool, stat: (name) => scope.value(`cluster.svc.${name}`) };
}

function acquire(pool: ConnectionPool, fresh = false): Promise<PooledConnection> {
  return new Promise((resolve, reject) => {
    pool.acquire((err, conn) => (err ? reject(err) : resolve(conn as PooledConnection)), fresh);
  });
}

describe('ConnectionPool.acquire(fresh): a newly opened connection, never an idle one', () => {
  it('opens a new connection although one is idle, and a connection released meanwhile does not serve it', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(srv.port);
    const [a, b] = await Promise.all([acquire(pool), acquire(pool)]);
    pool.release(a, true);
    assert.equal(pool.idleCount, 1);
    const fresh = acquire(pool, true);
    assert.equal(pool.pendingCount, 1);
    pool.release(b, true); // idle now: the fresh request still waits for its own connection
    const c = await fresh;
    assert.notEqual(c.socket, a.socket);
    assert.notEqual(c.socket, b.socket);
    assert.equal(c.requests, 1);
    assert.equal(stat('upstream_cx_total'), 3);
    assert.equal(pool.idleCount, 2);
    // A plain request still takes an idle one (the most recently released).
    assert.equal((await acquire(pool)).socket, b.socket);
  });

  it('at max_connections, the least recently used idle connection is closed to make room', async () => {
    const srv = await listen();
    const { pool, stat } = makePool(srv.port, 2);
    const [a, b] = await Promise.all([acquire(pool), acquire(pool)]);
    pool.release(a, true);
    pool.release(b, true);
    const c = await acquire(pool, true);
    assert.notEqual(c.socket, a.socket);
    assert.notEqual(c.socket, b.socket);
    assert.equal(a.socket.destroyed, true, 'the least recently released one made room');
    assert.equal(pool.idleCount, 1);
    assert.equal(stat('upstream_cx_total'), 3);
    assert.equal(stat('upstream_cx_destroy_local'), 1);
    assert.equal(stat('upstream_cx_overflow'), 0);
  });
});
