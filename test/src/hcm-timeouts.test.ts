import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { startProxyFromYaml, startUpstream, statusCodes, type TestProxy, type TestUpstream } from '@weft/testing';
import { RawConn, sleep, startSilentServer } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, fileAccessLog, httpListener, staticCluster } from './yaml.js';

const TIMEOUT = '0.3s';
const TIMEOUT_MS = 300;

describe('connection manager timeouts', () => {
  let dir: string;
  let logFile: string;
  let up: TestUpstream;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let proxy: TestProxy;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-hcm-timeouts-'));
    logFile = path.join(dir, 'access.log');
    up = await startUpstream('a', (req, res, body) => {
      if (req.url === '/drip') {
        // Five pieces 100 ms apart: 500 ms in total, but never idle for the 300 ms stream idle timeout.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let n = 0;
        const t = setInterval(() => {
          n++;
          if (n < 5) res.write(`p${n}-`);
          else {
            clearInterval(t);
            res.end('p5');
          }
        }, TIMEOUT_MS / 3);
        return;
      }
      const payload = JSON.stringify({ url: req.url, body: body.toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
    silent = await startSilentServer();
    const toA = '- match: { prefix: "/" }\n  route: { cluster: a }';
    const hang = '- match: { prefix: "/hang" }\n  route: { cluster: silent, timeout: 0s }';
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ listenerName: 'hdr', statPrefix: 'hdr', hcmExtra: `request_headers_timeout: ${TIMEOUT}`, routes: toA }) +
          httpListener({ listenerName: 'rq', statPrefix: 'rq', hcmExtra: `request_timeout: ${TIMEOUT}`, routes: toA }) +
          httpListener({
            listenerName: 'si',
            statPrefix: 'si',
            hcmExtra: `stream_idle_timeout: ${TIMEOUT}\n${fileAccessLog(logFile, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS%')}`,
            routes: `${hang}\n${toA}`,
          }) +
          httpListener({ listenerName: 'idle', statPrefix: 'idle', hcmExtra: `common_http_protocol_options: { idle_timeout: ${TIMEOUT} }`, routes: toA }) +
          httpListener({
            listenerName: 'ridle',
            statPrefix: 'ridle',
            routes: '- match: { prefix: "/" }\n  route: { cluster: silent, timeout: 0s, idle_timeout: 0.3s }',
          }),
        staticCluster('a', [up.port]) + staticCluster('silent', [silent.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
    await silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);

  function logLines(): string[] {
    flushAllAccessLogs();
    return readFileSync(logFile, 'utf8').trim().split('\n');
  }

  test('request_headers_timeout answers 408 and closes a connection whose headers stay incomplete', async () => {
    const before = await stat('http.hdr.downstream_rq_header_timeout');
    const c = await RawConn.open(proxy.port('hdr'));
    const started = Date.now();
    c.write('GET / HTTP/1.1\r\nHost: x\r\nX-Partial: 1\r\n');
    await c.untilClosed(3000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= TIMEOUT_MS - 20, `closed after ${elapsed} ms`);
    assert.match(c.text, /^HTTP\/1\.1 408 /);
    assert.equal(await stat('http.hdr.downstream_rq_header_timeout'), before + 1);
    assert.equal(up.requests.filter((r) => r.headers['x-partial']).length, 0);
  });

  test('request_headers_timeout starts at the first byte: a silent connection stays open', async () => {
    const c = await RawConn.open(proxy.port('hdr'));
    await sleep(TIMEOUT_MS * 2);
    assert.equal(c.closed, false);
    c.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/^HTTP\/1\.1 200 /);
    c.destroy();
  });

  test('request_headers_timeout does not close a keep-alive connection idle between requests', async () => {
    const c = await RawConn.open(proxy.port('hdr'));
    c.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/"url":"\/one"/);
    await sleep(TIMEOUT_MS * 2);
    assert.equal(c.closed, false);
    c.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/"url":"\/two"/);
    assert.deepEqual(statusCodes(c.text), [200, 200]);
    c.destroy();
  });

  test('request_headers_timeout does not fire when headers arrive in pieces within the timeout', async () => {
    const c = await RawConn.open(proxy.port('hdr'));
    c.write('GET /pieces HTTP/1.1\r\n');
    await sleep(TIMEOUT_MS / 3);
    c.write('Host: x\r\n\r\n');
    await c.untilText(/"url":"\/pieces"/);
    c.destroy();
  });

  test('request_timeout answers 408 "request timeout" when the body never completes', async () => {
    const before = await stat('http.rq.downstream_rq_timeout');
    const c = await RawConn.open(proxy.port('rq'));
    const started = Date.now();
    c.write('POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await c.untilClosed(3000);
    assert.ok(Date.now() - started >= TIMEOUT_MS - 20);
    assert.match(c.text, /^HTTP\/1\.1 408 /);
    assert.match(c.text, /connection: close/i);
    assert.ok(c.text.endsWith('request timeout'), c.text);
    assert.equal(await stat('http.rq.downstream_rq_timeout'), before + 1);
  });

  test('request_timeout does not affect a request that completes in time', async () => {
    const c = await RawConn.open(proxy.port('rq'));
    c.write('POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab');
    await c.untilText(/"body":"ab"/);
    assert.deepEqual(statusCodes(c.text), [200]);
    c.destroy();
  });

  test('stream_idle_timeout answers 504 "stream timeout" with SI when the complete request gets no response', async () => {
    const before = await stat('http.si.downstream_rq_idle_timeout');
    const c = await RawConn.open(proxy.port('si'));
    const started = Date.now();
    c.write('GET /hang/complete HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/stream timeout$/, 3000);
    assert.ok(Date.now() - started >= TIMEOUT_MS - 20);
    // Envoy: 504 once the request was fully received, 408 before (Http::Utility::maybeRequestTimeoutCode).
    assert.match(c.text, /^HTTP\/1\.1 504 /);
    assert.equal(await stat('http.si.downstream_rq_idle_timeout'), before + 1);
    assert.ok(logLines().includes('/hang/complete 504 SI'), logLines().join('\n'));
    c.destroy();
  });

  test('stream_idle_timeout answers 408 "stream timeout" with SI while the request body is incomplete', async () => {
    const c = await RawConn.open(proxy.port('si'));
    c.write('POST /hang/partial HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await c.untilClosed(3000);
    assert.match(c.text, /^HTTP\/1\.1 408 /);
    assert.ok(c.text.endsWith('stream timeout'));
    assert.ok(logLines().includes('/hang/partial 408 SI'), logLines().join('\n'));
  });

  test('stream_idle_timeout is reset by activity: a slow but steady response completes', async () => {
    const c = await RawConn.open(proxy.port('si'));
    c.write('GET /drip HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/0\r\n\r\n$/);
    assert.deepEqual(statusCodes(c.text), [200]);
    assert.match(c.text, /p1-.*p4-.*p5/s);
    assert.equal(c.closed, false);
    c.destroy();
  });

  test('connection idle_timeout closes a keep-alive connection with no active request', async () => {
    const before = await stat('http.idle.downstream_cx_idle_timeout');
    const c = await RawConn.open(proxy.port('idle'));
    c.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.untilText(/"url":"\/x"/);
    const served = Date.now();
    await c.untilClosed(3000);
    assert.ok(Date.now() - served >= TIMEOUT_MS - 50);
    assert.equal(await stat('http.idle.downstream_cx_idle_timeout'), before + 1);
  });

  test('route idle_timeout overrides stream_idle_timeout for its route', async () => {
    const c = await RawConn.open(proxy.port('ridle'));
    try {
      c.write('GET /r HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.untilText(/stream timeout$/, 1500);
      assert.match(c.text, /^HTTP\/1\.1 504 /);
    } finally {
      c.destroy();
    }
  });
});
