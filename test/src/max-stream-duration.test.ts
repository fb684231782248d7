import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

describe('max_stream_duration (HCM common option and route override)', () => {
  let up: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    up = await startUpstream('a', (req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        setTimeout(() => res.end('late'), 600);
        return;
      }
      setTimeout(() => res.end(`done ${req.url}`), 400);
    });
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          hcmExtra: 'common_http_protocol_options: { max_stream_duration: 0.15s }',
          routes: `
- match: { prefix: "/unlimited" }
  route: { cluster: a, max_stream_duration: { max_stream_duration: 0s } }
- match: { prefix: "/longer" }
  route: { cluster: a, max_stream_duration: { max_stream_duration: 1s } }
- match: { prefix: "/" }
  route: { cluster: a }`,
        }),
        staticCluster('a', [up.port]),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  test('a stream over the HCM limit gets 408 "downstream duration timeout"', async () => {
    const before = await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_max_duration_reached');
    const res = await request(port, '/slow');
    assert.equal(res.status, 408);
    assert.equal(res.body, 'downstream duration timeout');
    assert.equal((await adminStat(proxy.adminPort, 'http.ingress.downstream_rq_max_duration_reached')) - before, 1);
  });

  test('a gRPC stream gets DEADLINE_EXCEEDED instead', async () => {
    const res = await request(port, '/slow', { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['grpc-status'], '4');
  });

  test('the route overrides it: 0 disables, a longer value lets the stream finish', async () => {
    assert.equal((await request(port, '/unlimited')).body, 'done /unlimited');
    assert.equal((await request(port, '/longer')).body, 'done /longer');
  });

  test('once the response started, the stream is reset instead', async () => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (c: Buffer) => (got += c.toString('latin1')));
    sock.write('GET /stream HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise<void>((resolve) => sock.on('close', () => resolve()));
    assert.match(got, /^HTTP\/1\.1 200 /);
    assert.ok(got.includes('first'));
    assert.ok(!got.includes('late'));
  });
});
