import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { freePort, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { bootstrap, staticCluster } from './yaml.js';
import { adminStat } from './stats.js';

function tcpListener(name: string, tcp: string): string {
  return `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
${tcp
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `          ${l}`)
  .join('\n')}`;
}

/** Connects, writes, half-closes, and resolves with everything received until the peer closes. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

describe('tcp_proxy', () => {
  let echo: net.Server;
  let upper: net.Server;
  let proxy: TestProxy;
  let dir: string;
  let logFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-tcp-'));
    logFile = path.join(dir, 'tcp.log');
    // Echo that ends its side after the client half-closes (tests FIN propagation both ways).
    echo = net.createServer((s) => s.pipe(s));
    upper = net.createServer((s) => {
      s.on('data', (c: Buffer) => s.write(c.toString().toUpperCase()));
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => upper.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const upperPort = (upper.address() as net.AddressInfo).port;
    const dead = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        tcpListener(
          'echo',
          `stat_prefix: echo
cluster: echo
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%UPSTREAM_CLUSTER% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%\\n" } }`,
        ) +
          tcpListener('weighted', `stat_prefix: weighted\nweighted_clusters: { clusters: [{ name: echo, weight: 1 }, { name: upper, weight: 1 }] }`) +
          tcpListener(
            'dead',
            `stat_prefix: dead
cluster: dead
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%UPSTREAM_CLUSTER% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%\\n" } }`,
          ) +
          tcpListener('idle', `stat_prefix: idle\ncluster: echo\nidle_timeout: 0.2s`) +
          tcpListener(
            'limited',
            `stat_prefix: limited
cluster: one
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%UPSTREAM_CLUSTER% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%\\n" } }`,
          ),
        staticCluster('echo', [echoPort]) +
          staticCluster('upper', [upperPort]) +
          staticCluster('dead', [dead]) +
          staticCluster('one', [echoPort], '    circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] }'),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    echo.close();
    upper.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('relays bytes both ways and propagates half-close', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 'x');
    const got = await roundTrip(proxy.port('echo'), payload);
    assert.equal(got.length, payload.length);
    assert.ok(got.equals(payload));
    await new Promise((r) => setTimeout(r, 50));
    flushAllAccessLogs();
    assert.ok(readFileSync(logFile, 'utf8').includes(`echo - ${payload.length} ${payload.length}`));
    assert.equal(await adminStat(proxy.adminPort, 'tcp.echo.downstream_cx_total'), 1);
  });

  test('spreads connections over weighted clusters', async () => {
    const results = new Set<string>();
    for (let i = 0; i < 30; i++) results.add((await roundTrip(proxy.port('weighted'), Buffer.from('abc'))).toString());
    assert.deepEqual([...results].sort(), ['ABC', 'abc']);
  });

  test('closes the downstream connection on upstream connect failure and logs UF', async () => {
    const got = await roundTrip(proxy.port('dead'), Buffer.from('hello'));
    assert.equal(got.length, 0);
    await new Promise((r) => setTimeout(r, 50));
    flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8'), /^dead UF /m);
  });

  test('circuit breakers: a second connection waits for the only upstream connection, a third overflows (UO)', async () => {
    const port = proxy.port('limited');
    const talk = async (s: net.Socket, msg: string): Promise<string> =>
      new Promise((resolve) => {
        s.once('data', (c: Buffer) => resolve(c.toString()));
        s.write(msg);
      });
    const c1 = net.connect(port, '127.0.0.1');
    assert.equal(await talk(c1, 'one'), 'one');
    const c2 = net.connect(port, '127.0.0.1');
    const c2answer = talk(c2, 'two');
    await new Promise((r) => setTimeout(r, 100));
    const c3 = net.connect(port, '127.0.0.1');
    c3.on('error', () => undefined);
    await new Promise<void>((resolve) => c3.on('close', () => resolve()));
    assert.equal(await adminStat(proxy.adminPort, 'cluster.one.upstream_rq_pending_overflow'), 1);
    assert.ok((await adminStat(proxy.adminPort, 'cluster.one.upstream_cx_overflow')) >= 1);
    c1.destroy();
    assert.equal(await c2answer, 'two', 'the waiting connection got the upstream connection once it was free');
    c2.destroy();
    flushAllAccessLogs();
    assert.ok(readFileSync(logFile, 'utf8').includes('one UO 0 0'));
  });

  test('closes idle connections after idle_timeout', async () => {
    const closedAfter = await new Promise<number>((resolve) => {
      const start = Date.now();
      const s = net.connect(proxy.port('idle'), '127.0.0.1', () => s.write('ping'));
      s.on('data', () => undefined);
      s.on('close', () => resolve(Date.now() - start));
      s.on('error', () => undefined);
    });
    assert.ok(closedAfter >= 150 && closedAfter < 3000, `closed after ${closedAfter} ms`);
    assert.equal(await adminStat(proxy.adminPort, 'tcp.idle.idle_timeout'), 1);
  });
});
