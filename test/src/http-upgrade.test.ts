import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { freePort, rawExchange, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { RawConn, sleep } from './raw-conn.js';
import { adminStat } from './stats.js';
import { acceptKey, connectWs, encodeFrame, startWsEchoServer, type WsEchoServer } from './ws.js';
import { bootstrap, fileAccessLog, httpListener, staticCluster } from './yaml.js';

const LOG_FORMAT = '%REQ(X-LOG-ID)% %REQ(:AUTHORITY)% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %RESPONSE_CODE_DETAILS%';

function logLine(file: string, id: string): string {
  flushAllAccessLogs();
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${id} `));
  return line ?? '';
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Upstream for raw 'Upgrade: raw' tunnels: `/down` streams `size` bytes, `/up` counts what it reads. */
function startRawUpgradeServer(): Promise<{ server: http.Server; port: number; state: { written: number; read: number; blocked: boolean; up?: net.Socket } }> {
  const state: { written: number; read: number; blocked: boolean; up?: net.Socket } = { written: 0, read: 0, blocked: false };
  const server = http.createServer();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    socket.on('error', () => undefined);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n');
    const size = Number(req.headers['x-size'] ?? 0);
    if (req.url === '/down') {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (state.written < size) {
          state.written += chunk.length;
          if (!socket.write(chunk)) {
            state.blocked = true;
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    } else {
      state.up = socket;
      socket.pause(); // a slow reader: resumed by the test
      socket.on('data', (c: Buffer) => {
        state.read += c.length;
      });
      socket.on('end', () => socket.end(`got ${state.read}`));
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as net.AddressInfo).port, state })));
}

describe('HTTP upgrades and CONNECT over HTTP/1.1', () => {
  let ws: WsEchoServer;
  let raw: Awaited<ReturnType<typeof startRawUpgradeServer>>;
  let tcpEcho: net.Server;
  let connectServer: http.Server;
  const connectTargets: string[] = [];
  let proxy: TestProxy;
  let dir: string;
  let logFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-upgrade-'));
    logFile = path.join(dir, 'access.log');
    ws = await startWsEchoServer();
    raw = await startRawUpgradeServer();
    tcpEcho = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => tcpEcho.listen(0, '127.0.0.1', r));
    // A forward proxy: answers CONNECT with 200, then echoes the tunnel upper-cased.
    connectServer = http.createServer((_q, res) => res.end());
    connectServer.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connectTargets.push(`${req.url} host=${req.headers.host}`);
      socket.on('error', () => undefined);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) socket.write(head.toString().toUpperCase());
      socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((r) => connectServer.listen(0, '127.0.0.1', r));
    const dead = await freePort();
    const log = fileAccessLog(logFile, LOG_FORMAT);
    const listeners = [
      httpListener({
        listenerName: 'ws',
        statPrefix: 'ws',
        hcmExtra: `upgrade_configs: [{ upgrade_type: WebSocket }, { upgrade_type: raw }]\n${log}`,
        routes: `
- match: { connect_matcher: {} }
  route: { cluster: connectsrv }
- match: { prefix: "/nows" }
  route: { cluster: ws, upgrade_configs: [{ upgrade_type: websocket, enabled: false }] }
- match: { prefix: "/dead" }
  route: { cluster: dead }
- match: { prefix: "/down" }
  route: { cluster: raw }
- match: { prefix: "/up" }
  route: { cluster: raw }
- match: { prefix: "/" }
  route: { cluster: ws, timeout: 0.1s }`,
      }),
      httpListener({
        listenerName: 'plain',
        statPrefix: 'plain',
        hcmExtra: log,
        routes: `
- match: { prefix: "/ws-on" }
  route: { cluster: ws, upgrade_configs: [{ upgrade_type: WEBSOCKET }] }
- match: { prefix: "/" }
  route: { cluster: ws }`,
      }),
      httpListener({
        listenerName: 'idle',
        statPrefix: 'idle',
        hcmExtra: `stream_idle_timeout: 0.3s\nupgrade_configs: [{ upgrade_type: websocket }]\n${log}`,
        routes: `
- match: { prefix: "/" }
  route: { cluster: ws }`,
      }),
      httpListener({
        listenerName: 'fwd',
        statPrefix: 'fwd',
        hcmExtra: `upgrade_configs: [{ upgrade_type: CONNECT }]\n${log}`,
        routes: `
- match: { connect_matcher: {} }
  route: { cluster: connectsrv }`,
      }),
      httpListener({
        listenerName: 'term',
        statPrefix: 'term',
        hcmExtra: log,
        routes: `
- match: { connect_matcher: {} }
  route: { cluster: tcpecho, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] }`,
      }),
    ].join('');
    const clusters = [
      staticCluster('ws', [ws.port]),
      staticCluster('raw', [raw.port]),
      staticCluster('dead', [dead]),
      staticCluster('tcpecho', [(tcpEcho.address() as net.AddressInfo).port]),
      staticCluster('connectsrv', [(connectServer.address() as net.AddressInfo).port]),
    ].join('');
    proxy = await startProxyFromYaml(bootstrap(listeners, clusters));
  });

  after(async () => {
    await proxy.close();
    await ws.close();
    raw.server.closeAllConnections();
    await new Promise<void>((r) => raw.server.close(() => r()));
    await new Promise<void>((r) => tcpEcho.close(() => r()));
    connectServer.closeAllConnections();
    await new Promise<void>((r) => connectServer.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a WebSocket exchanges messages both ways, past the route timeout, and closes cleanly', async () => {
    const before = ws.requests.length;
    // The first message rides in the same write as the handshake.
    const c = await connectWs(proxy.port('ws'), '/chat', 'early', 'x-log-id: ws1\r\n');
    assert.equal(c.status, 101);
    assert.equal(c.headers.get('upgrade'), 'websocket');
    assert.equal(c.headers.get('connection')?.toLowerCase(), 'upgrade');
    const seen = ws.requests[before];
    assert.equal(seen?.headers.upgrade, 'websocket');
    assert.equal(seen?.headers.connection, 'upgrade');
    assert.equal(c.headers.get('sec-websocket-accept'), acceptKey(String(seen?.headers['sec-websocket-key'])));
    // The greeting followed the 101 head in the upstream's same write; then the echo of the early message.
    const [greeting, early] = await c.next(2);
    assert.equal(greeting?.payload.toString(), 'welcome');
    assert.equal(early?.payload.toString(), 'early');
    await sleep(150); // longer than the route's 0.1 s timeout: it does not apply to upgrades
    c.send('hello');
    assert.equal((await c.next())[0]?.payload.toString(), 'hello');
    assert.equal(await adminStat(proxy.adminPort, 'http.ws.downstream_cx_upgrades_total'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'http.ws.downstream_cx_upgrades_active'), 1);
    // Client-initiated close: the close frame is echoed, then the upstream's FIN ends the downstream.
    c.socket.write(encodeFrame(8, Buffer.from([0x03, 0xe8]), true));
    const [close] = await c.next();
    assert.equal(close?.opcode, 8);
    await c.ended;
    c.socket.end();
    await c.closed;
    await until(async () => (await adminStat(proxy.adminPort, 'http.ws.downstream_cx_upgrades_active')) === 0, 'upgrades_active 0');
    const sent = encodeFrame(1, Buffer.from('x'), true).length;
    const line = logLine(logFile, 'ws1');
    // 7-byte masked "early" + "hello" frames + 8-byte close; 9+7+7+4 bytes back.
    assert.match(line, /^ws1 ws\.test 101 - \d+ \d+ via_upstream$/, line);
    const [, rx, tx] = /101 - (\d+) (\d+)/.exec(line) ?? [];
    assert.equal(Number(rx), 11 + 11 + 8);
    assert.equal(Number(tx), 9 + 7 + 7 + 4);
    assert.equal(sent, 7);
  });

  test('an upstream FIN ends the tunnel downstream; a client reset closes the upstream', async () => {
    const c = await connectWs(proxy.port('ws'), '/a');
    await c.next();
    const up = ws.sockets[ws.sockets.length - 1] as net.Socket;
    up.end();
    await c.ended;
    c.socket.end();
    await c.closed;
    const d = await connectWs(proxy.port('ws'), '/b');
    await d.next();
    const up2 = ws.sockets[ws.sockets.length - 1] as net.Socket;
    const upClosed = new Promise<void>((r) => up2.on('close', () => r()));
    d.socket.resetAndDestroy(); // a FIN alone would be a half-close, relayed as such
    await upClosed;
  });

  test('a non-101 answer to an upgrade is forwarded as a normal response, then the connection closes', async () => {
    const res = await rawExchange(proxy.port('ws'), 'GET /reject HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-log-id: rej\r\n\r\n');
    assert.match(res.text, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(res.text, /\r\n\r\nnop$/);
    assert.match(res.text, /connection: close/i);
    assert.equal(res.closed, true);
  });

  test('an upgrade with no upgrade config gets 403 upgrade_failed and the connection closes', async () => {
    const res = await rawExchange(proxy.port('plain'), 'GET /x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-log-id: p403\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(res.text, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.equal(res.text.match(/HTTP\/1\.1/g)?.length, 1, 'bytes after the upgrade head are never parsed as a request');
    assert.equal(res.closed, true);
    assert.equal(await adminStat(proxy.adminPort, 'http.plain.downstream_rq_ws_on_non_ws_route'), 1);
    assert.match(logLine(logFile, 'p403'), / 403 - \d+ 0 upgrade_failed$/);
  });

  test('a route enables an upgrade the connection manager does not configure (case-insensitive)', async () => {
    const c = await connectWs(proxy.port('plain'), '/ws-on/x');
    assert.equal(c.status, 101);
    assert.equal((await c.next())[0]?.payload.toString(), 'welcome');
    c.socket.destroy();
    assert.equal(await adminStat(proxy.adminPort, 'http.plain.downstream_cx_upgrades_total'), 1);
  });

  test('a route disables an upgrade the connection manager enables', async () => {
    const c = await connectWs(proxy.port('ws'), '/nows');
    assert.equal(c.status, 403);
    await c.closed;
    assert.equal(await adminStat(proxy.adminPort, 'http.ws.downstream_rq_ws_on_non_ws_route'), 1);
  });

  test('an unreachable upstream answers 503 UF before any 101', async () => {
    const res = await rawExchange(proxy.port('ws'), 'GET /dead HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-log-id: uf\r\n\r\n');
    assert.match(res.text, /^HTTP\/1\.1 503 /);
    assert.match(res.text, /reset reason: connection failure/);
    assert.equal(res.closed, true);
    assert.match(logLine(logFile, 'uf'), / 503 UF \d+ \d+ upstream_reset_before_response_started\{connection_failure\}$/);
  });

  test('an upstream reset during the tunnel closes the client connection (UC)', async () => {
    const c = await connectWs(proxy.port('ws'), '/reset', undefined, 'x-log-id: uc\r\n');
    await c.next();
    (ws.sockets[ws.sockets.length - 1] as net.Socket).resetAndDestroy();
    await c.closed;
    await until(() => logLine(logFile, 'uc') !== '', 'uc log line');
    assert.match(logLine(logFile, 'uc'), / 101 UC \d+ \d+ upstream_reset_after_response_started\{connection_termination\}$/);
  });

  test('stream_idle_timeout ends an idle tunnel', async () => {
    const c = await connectWs(proxy.port('idle'), '/idle', undefined, 'x-log-id: si\r\n');
    await c.next();
    await sleep(150);
    c.send('keep'); // activity re-arms the idle timer
    await c.next();
    const t0 = Date.now();
    await c.closed;
    assert.ok(Date.now() - t0 >= 250, 'closed before the idle timeout');
    await until(() => logLine(logFile, 'si') !== '', 'si log line');
    assert.match(logLine(logFile, 'si'), / 101 SI /);
  });

  test('a large download through a tunnel to a slow reader stays bounded, then arrives whole', async () => {
    const SIZE = 32 * 1024 * 1024;
    const conn = await RawConn.open(proxy.port('ws'));
    let got = 0;
    let headDone = false;
    conn.socket.removeAllListeners('data');
    conn.socket.on('data', (c: Buffer) => {
      if (!headDone) {
        const s = c.toString('latin1');
        const end = s.indexOf('\r\n\r\n');
        assert.ok(end > 0);
        assert.match(s, /^HTTP\/1\.1 101 /);
        headDone = true;
        got += c.length - end - 4;
        conn.socket.pause();
        return;
      }
      got += c.length;
    });
    conn.write(`GET /down HTTP/1.1\r\nHost: x\r\nUpgrade: raw\r\nConnection: Upgrade\r\nx-size: ${SIZE}\r\n\r\n`);
    await until(() => raw.state.blocked, 'upstream backpressure');
    await sleep(300);
    assert.ok(raw.state.written < 24 * 1024 * 1024, `upstream wrote ${raw.state.written} bytes to a paused client`);
    conn.socket.resume();
    await until(() => got === SIZE, `all ${SIZE} bytes (got ${got})`, 10000);
    await conn.until((x) => x.closed, 3000, 'close');
  });

  test('a large upload to a slow upstream reader stays bounded, then arrives whole with half-close', async () => {
    const SIZE = 16 * 1024 * 1024;
    const conn = await RawConn.open(proxy.port('ws'));
    conn.write('GET /up HTTP/1.1\r\nHost: x\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n');
    await conn.until((x) => x.text.includes('\r\n\r\n'), 3000, '101');
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let accepted = 0;
    let blocked = false;
    while (accepted < SIZE) {
      accepted += chunk.length;
      if (!conn.socket.write(chunk)) {
        blocked = true;
        await Promise.race([new Promise((r) => conn.socket.once('drain', r)), sleep(300)]);
        if (conn.socket.writableLength > 0) break;
      }
    }
    assert.ok(blocked, 'the client write() never blocked');
    await sleep(200);
    assert.ok(accepted < SIZE || conn.socket.writableLength > 0, 'everything was absorbed while the upstream read nothing');
    raw.state.up?.resume();
    while (accepted < SIZE) {
      accepted += chunk.length;
      if (!conn.socket.write(chunk)) await new Promise((r) => conn.socket.once('drain', r));
    }
    conn.socket.end(); // half-close: the upstream answers after seeing our FIN
    await conn.until((x) => x.closed, 10000, 'close');
    assert.match(conn.text, new RegExp(`got ${SIZE}$`));
  });

  test('CONNECT without connect_config is forwarded upstream and tunnels after its 2xx', async () => {
    const conn = await RawConn.open(proxy.port('fwd'));
    conn.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nx-log-id: fwd\r\n\r\nearly ');
    await conn.until((x) => x.text.includes('EARLY '), 3000, 'early bytes echoed');
    // Like Envoy, the proxy writes its own reason phrase.
    assert.match(conn.text, /^HTTP\/1\.1 200 OK\r\n/);
    conn.write('late');
    await conn.until((x) => x.text.endsWith('LATE'), 3000, 'late bytes echoed');
    conn.socket.end();
    await conn.until((x) => x.closed, 3000, 'close');
    assert.deepEqual(connectTargets.slice(-1), ['example.com:443 host=example.com:443']);
    await until(() => logLine(logFile, 'fwd') !== '', 'fwd log line');
    assert.equal(logLine(logFile, 'fwd'), 'fwd example.com:443 200 - 10 10 via_upstream');
  });

  test('a client half-close right after CONNECT reaches the upstream, whose answer and FIN come back', async () => {
    const conn = await RawConn.open(proxy.port('fwd'));
    conn.socket.end('CONNECT half.example:80 HTTP/1.1\r\nHost: half.example:80\r\n\r\n');
    await conn.until((x) => x.closed, 3000, 'close');
    assert.match(conn.text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    assert.equal(connectTargets.at(-1), 'half.example:80 host=half.example:80');
  });

  test('CONNECT with connect_config is terminated: 200, then raw TCP to the cluster host', async () => {
    const conn = await RawConn.open(proxy.port('term'));
    conn.write('CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\nx-log-id: term\r\n\r\nping');
    await conn.until((x) => x.text.endsWith('ping'), 3000, 'echo');
    assert.match(conn.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(conn.text, /content-length|transfer-encoding/i);
    conn.write('pong');
    await conn.until((x) => x.text.endsWith('pingpong'), 3000, 'second echo');
    conn.socket.end(); // the echo server ends its side after our FIN
    await conn.until((x) => x.closed, 3000, 'close');
    await until(() => logLine(logFile, 'term') !== '', 'term log line');
    assert.equal(logLine(logFile, 'term'), 'term db.internal:5432 200 - 8 8 via_upstream');
    assert.equal(await adminStat(proxy.adminPort, 'http.term.downstream_cx_upgrades_total'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.tcpecho.upstream_cx_total'), 1);
  });

  test('CONNECT where only WebSocket is enabled gets 403; CONNECT without a connect_matcher route gets 404', async () => {
    const forwarded = connectTargets.length;
    const res = await rawExchange(proxy.port('ws'), 'CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nx-log-id: c403\r\n\r\n');
    assert.match(res.text, /^HTTP\/1\.1 403 /);
    assert.equal(res.closed, true);
    assert.match(logLine(logFile, 'c403'), /^c403 a:1 403 - 0 0 upgrade_failed$/);
    // Prefix routes never match a CONNECT (it has no path): the router answers 404 before any upgrade decision.
    const nf = await rawExchange(proxy.port('plain'), 'CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n');
    assert.match(nf.text, /^HTTP\/1\.1 404 /);
    assert.equal(nf.closed, true);
    assert.equal(connectTargets.length, forwarded);
  });

  test('an h2c upgrade offer is dropped and the request served as plain HTTP/1.1', async () => {
    const before = ws.requests.length;
    const res = await rawExchange(
      proxy.port('plain'),
      'POST /x HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\ncontent-length: 2\r\n\r\nhiGET /y HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.equal(res.text.match(/HTTP\/1\.1 200 OK/g)?.length, 2, res.text);
    assert.equal(ws.requests.length, before, 'no upgrade reached the upstream');
  });
});
