import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { RawConn, sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/** An upstream that numbers its TCP connections and tells which one served each request (`x-conn`). */
async function startCountingUpstream(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const ids = new WeakMap<Socket, number>();
  const server = http.createServer((req, res) => {
    const peer = String(ids.get(req.socket));
    req.resume();
    req.on('end', () => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.writeHead(200, { 'x-conn': peer, 'content-length': 2 });
      res.end('ok');
      // The upstream closes its side of an idle keep-alive connection shortly after answering.
      if (req.url === '/close-later') setTimeout(() => req.socket.end(), 30);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => ids.set(s, ++connections));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function protocolOptions(common: string): string {
  return `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { ${common} }
        explicit_http_config: { http_protocol_options: {} }`;
}

describe('upstream HTTP/1.1 connection pool', () => {
  const ups: Array<Awaited<ReturnType<typeof startCountingUpstream>>> = [];
  let plain: (typeof ups)[number];
  let maxReq: (typeof ups)[number];
  let idle: (typeof ups)[number];
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    plain = await startCountingUpstream();
    maxReq = await startCountingUpstream();
    idle = await startCountingUpstream();
    ups.push(plain, maxReq, idle);
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          routes: `
- match: { prefix: "/max" }
  route: { cluster: maxreq }
- match: { prefix: "/idle" }
  route: { cluster: idle }
- match: { prefix: "/" }
  route: { cluster: plain }`,
        }),
        staticCluster('plain', [plain.port]) +
          staticCluster('maxreq', [maxReq.port], protocolOptions('max_requests_per_connection: 2')) +
          staticCluster('idle', [idle.port], protocolOptions('idle_timeout: 0.1s')),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);

  /** Sends requests one after another on one downstream connection; returns the upstream peer port of each. */
  async function sequential(paths: string[]): Promise<string[]> {
    const c = await RawConn.open(port);
    const peers: string[] = [];
    try {
      for (const [i, p] of paths.entries()) {
        c.write(`GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await c.until((cc) => (cc.text.match(/\r\n\r\nok/g) ?? []).length === i + 1, 3000, `response ${i + 1}`);
      }
      for (const m of c.text.matchAll(/x-conn: (\d+)/g)) peers.push(m[1] as string);
    } finally {
      c.destroy();
    }
    return peers;
  }

  test('sequential requests on one downstream connection reuse one upstream connection', async () => {
    const before = plain.connections();
    const peers = await sequential(['/a', '/b', '/c', '/d', '/e']);
    assert.equal(peers.length, 5);
    assert.equal(new Set(peers).size, 1);
    assert.equal(plain.connections() - before, 1);
  });

  test('requests from different downstream connections reuse the idle upstream connection', async () => {
    const before = plain.connections();
    const a = await request(port, '/x');
    const b = await request(port, '/y');
    assert.equal(a.headers['x-conn'], b.headers['x-conn']);
    assert.ok(plain.connections() - before <= 1);
  });

  test('max_requests_per_connection: 2 spreads 4 requests over 2 upstream connections', async () => {
    const before = maxReq.connections();
    const statBefore = await stat('cluster.maxreq.upstream_cx_max_requests');
    const peers = await sequential(['/max/1', '/max/2', '/max/3', '/max/4']);
    assert.equal(maxReq.connections() - before, 2);
    assert.equal(new Set(peers).size, 2);
    assert.equal(peers[0], peers[1]);
    assert.equal(peers[2], peers[3]);
    assert.equal((await stat('cluster.maxreq.upstream_cx_max_requests')) - statBefore, 2);
  });

  test('common_http_protocol_options.idle_timeout closes an idle upstream connection', async () => {
    const before = idle.connections();
    const statBefore = await stat('cluster.idle.upstream_cx_idle_timeout');
    const first = await request(port, '/idle/1');
    const again = await request(port, '/idle/2');
    assert.equal(first.headers['x-conn'], again.headers['x-conn']);
    await sleep(300);
    const later = await request(port, '/idle/3');
    assert.equal(later.status, 200);
    assert.notEqual(later.headers['x-conn'], first.headers['x-conn']);
    assert.equal(idle.connections() - before, 2);
    assert.equal((await stat('cluster.idle.upstream_cx_idle_timeout')) - statBefore, 1);
  });

  test('an upstream connection answered with Connection: close is not reused', async () => {
    const peers = await sequential(['/close', '/close', '/after-close']);
    assert.equal(new Set(peers).size, 3, peers.join());
  });

  test('an upstream closing an idle keep-alive connection does not break the next request', async () => {
    const remoteBefore = await stat('cluster.plain.upstream_cx_destroy_remote');
    const first = await request(port, '/close-later');
    assert.equal(first.status, 200);
    await sleep(150);
    const next = await request(port, '/next');
    assert.equal(next.status, 200);
    assert.notEqual(next.headers['x-conn'], first.headers['x-conn']);
    assert.ok((await stat('cluster.plain.upstream_cx_destroy_remote')) > remoteBefore);
  });
});
