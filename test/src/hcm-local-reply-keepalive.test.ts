import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { RawConn } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

// Regression: a local reply sent while the request head was still being parsed (direct_response, a filter's abort)
// finished the response before the parser reached the end of the request, which then paused the parser for good:
// the keep-alive connection never answered again.

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const HEADERS_TIMEOUT_MS = 150;

function responses(text: string): string[] {
  return text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}

describe('HTTP/1.1 keep-alive after a local reply', () => {
  let up: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    up = await startUpstream('a');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          listenerName: 'lr',
          statPrefix: 'lr',
          hcmExtra: `request_headers_timeout: ${HEADERS_TIMEOUT_MS / 1000}s`,
          filters: `- name: envoy.filters.http.fault\n  typed_config: { "@type": ${FAULT}, abort: { header_abort: {}, percentage: { numerator: 100 } } }`,
          routes: `- match: { path: "/direct" }
  direct_response: { status: 418, body: { inline_string: "teapot" } }
- match: { path: "/empty" }
  direct_response: { status: 204 }
- match: { prefix: "/" }
  route: { cluster: a }`,
        }),
        staticCluster('a', [up.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const req = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

  test('a direct_response leaves the connection answering the next requests', async () => {
    const c = await RawConn.open(proxy.port('lr'));
    c.write(req('/direct'));
    await c.until((x) => /teapot$/.test(x.text));
    assert.match(c.text, /^HTTP\/1\.1 418 I'm a Teapot\r\n/i);
    assert.doesNotMatch(c.text, /connection: close/i);
    c.write(req('/direct'));
    await c.until((x) => responses(x.text).length === 2);
    c.write(req('/up'));
    await c.until((x) => responses(x.text).length === 3);
    assert.deepEqual(responses(c.text), ['HTTP/1.1 418', 'HTTP/1.1 418', 'HTTP/1.1 200']);
    c.write(req('/empty'));
    await c.until((x) => responses(x.text).length === 4);
    assert.equal(responses(c.text)[3], 'HTTP/1.1 204');
    assert.equal(c.closed, false);
    c.destroy();
  });

  test('a direct_response sent before the request body arrived closes the connection, as Envoy does', async () => {
    // Envoy closes an HTTP/1 connection whose response completed before its request: the rest is not waited for.
    const c = await RawConn.open(proxy.port('lr'));
    c.write('POST /direct HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
    await c.untilClosed();
    assert.deepEqual(responses(c.text), ['HTTP/1.1 418']);
    assert.match(c.text, /\r\nconnection: close\r\n/i);
  });

  test('a fault filter abort leaves the connection answering the next requests', async () => {
    const c = await RawConn.open(proxy.port('lr'));
    c.write(req('/up', 'x-envoy-fault-abort-request: 503\r\n'));
    await c.until((x) => responses(x.text).length === 1);
    c.write(req('/up', 'x-envoy-fault-abort-request: 429\r\n'));
    await c.until((x) => responses(x.text).length === 2);
    c.write(req('/up'));
    await c.until((x) => responses(x.text).length === 3);
    assert.deepEqual(responses(c.text), ['HTTP/1.1 503', 'HTTP/1.1 429', 'HTTP/1.1 200']);
    assert.equal(c.closed, false);
    c.destroy();
  });

  test('pipelined requests mixing local replies and upstream routes are all answered in order', async () => {
    const c = await RawConn.open(proxy.port('lr'));
    c.write(req('/direct') + req('/up') + req('/up', 'x-envoy-fault-abort-request: 503\r\n') + req('/direct') + req('/empty') + req('/up'));
    await c.until((x) => responses(x.text).length === 6);
    assert.deepEqual(responses(c.text), ['HTTP/1.1 418', 'HTTP/1.1 200', 'HTTP/1.1 503', 'HTTP/1.1 418', 'HTTP/1.1 204', 'HTTP/1.1 200']);
    assert.equal(c.closed, false);
    c.destroy();
  });

  test('an idle connection after a local reply is not hit by request_headers_timeout', async () => {
    const before = await adminStat(proxy.adminPort, 'http.lr.downstream_rq_header_timeout');
    const c = await RawConn.open(proxy.port('lr'));
    c.write(req('/direct'));
    await c.until((x) => responses(x.text).length === 1);
    await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS * 2));
    assert.equal(c.closed, false);
    assert.equal(await adminStat(proxy.adminPort, 'http.lr.downstream_rq_header_timeout'), before);
    c.write(req('/up'));
    await c.until((x) => responses(x.text).length === 2);
    assert.equal(responses(c.text)[1], 'HTTP/1.1 200');
    c.destroy();
  });
});
