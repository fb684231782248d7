import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/**
 * A client that keeps its side open after the proxy's FIN (allowHalfOpen), so it can still send — the client of
 * the keep-alive race, whose next request is on the wire when the proxy closes the idle connection.
 */
class HalfOpenClient {
  readonly socket: net.Socket;
  received = '';
  ended = false;
  closed = false;
  error: string | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => (this.received += c.toString('latin1')));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
  }

  static open(port: number): Promise<HalfOpenClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(new HalfOpenClient(s)));
      s.once('error', reject);
    });
  }
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const GET = 'GET /x HTTP/1.1\r\nhost: x\r\n\r\n';

/**
 * The racing request, sent after the proxy's FIN, then more bytes a moment later: had the proxy closed its socket,
 * the first write would draw a RST and the second fail (EPIPE / ECONNRESET).
 */
async function raceAfterFin(c: HalfOpenClient): Promise<void> {
  c.socket.write(GET);
  await sleep(50);
  c.socket.write(GET);
  await sleep(50);
  assert.equal(c.error, undefined, 'no RST');
  assert.equal(c.closed, false);
}

async function startProxy(upPort: number, hcmExtra: string): Promise<TestProxy> {
  return startProxyFromYaml(
    bootstrap(
      httpListener({ listenerExtra: 'stat_prefix: edge', hcmExtra, routes: '- match: { prefix: "/" }\n  route: { cluster: backend }' }),
      staticCluster('backend', [upPort]),
    ),
  );
}

async function startUpstreamServer(): Promise<http.Server> {
  const up = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  return up;
}

async function stopUpstreamServer(up: http.Server): Promise<void> {
  up.closeAllConnections();
  await new Promise<void>((r) => up.close(() => r()));
}

describe('closing an idle HTTP/1 downstream connection: FIN, then read and drop until the peer closes (never a RST)', () => {
  let up: http.Server;
  let proxy: TestProxy;
  let port: number;
  let admin: number;

  before(async () => {
    up = await startUpstreamServer();
    proxy = await startProxy((up.address() as net.AddressInfo).port, 'common_http_protocol_options: { idle_timeout: 0.2s }\ndelayed_close_timeout: 0.3s');
    port = proxy.port('http');
    admin = proxy.adminPort;
  });

  after(async () => {
    await proxy.close();
    await stopUpstreamServer(up);
  });

  const stat = (name: string): Promise<number> => adminStat(admin, name);

  test('idle timeout: a request sent after the FIN is dropped (no stream, no RST); the close completes when the client closes', async () => {
    const rq = await stat('http.ingress.downstream_rq_total');
    const c = await HalfOpenClient.open(port);
    c.socket.write(GET);
    await eventually(() => c.received.endsWith('\r\n\r\nok'), 2000, 'the first response');
    await eventually(() => c.ended, 2000, "the proxy's FIN after the idle timeout");
    await raceAfterFin(c);
    assert.equal(c.closed, false);
    assert.equal((await stat('http.ingress.downstream_rq_total')) - rq, 1, 'the late request started no stream');
    c.socket.end();
    await eventually(() => c.closed, 2000, 'the connection to close');
    assert.equal(c.error, undefined);
    assert.equal(c.received.match(/HTTP\/1\.1 /g)?.length, 1);
    await eventually(async () => (await stat('listener.edge.downstream_cx_active')) === 0, 1000, 'no active connection');
  });

  test('a peer that never closes is closed after delayed_close_timeout', async () => {
    const c = await HalfOpenClient.open(port);
    c.socket.write(GET);
    await eventually(() => c.ended, 2000, "the proxy's FIN after the idle timeout");
    const finAt = Date.now();
    await eventually(async () => (await stat('listener.edge.downstream_cx_active')) === 0, 2000, 'the proxy to let go of the connection');
    const waited = Date.now() - finAt;
    assert.ok(waited >= 200, `closed ${waited} ms after the FIN`);
    assert.equal(c.error, undefined);
    c.socket.destroy();
  });
});

describe('listener drain closes idle HTTP/1 connections the same way', () => {
  test('an idle connection is closed after the drain grace: a racing request meets a FIN, not a RST', async () => {
    const up = await startUpstreamServer();
    const proxy = await startProxy((up.address() as net.AddressInfo).port, '');
    try {
      const c = await HalfOpenClient.open(proxy.port('http'));
      c.socket.write(GET);
      await eventually(() => c.received.endsWith('\r\n\r\nok'), 2000, 'the first response');
      assert.equal((await request(proxy.adminPort, '/drain_listeners?graceful', { method: 'POST' })).status, 200);
      await eventually(() => c.ended, 2000, "the proxy's FIN after the drain grace");
      await raceAfterFin(c);
      c.socket.end();
      await eventually(() => c.closed, 2000, 'the connection to close');
      assert.equal(c.error, undefined);
      assert.equal(c.received.match(/HTTP\/1\.1 /g)?.length, 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_cx_drain_close'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_total'), 1);
    } finally {
      await proxy.close();
      await stopUpstreamServer(up);
    }
  });
});
