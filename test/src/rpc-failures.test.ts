import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { freePort, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createTestCodec, encodeTestFrame } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('rpc_proxy local replies and upstream failures', () => {
  let slow: RpcTestServer;
  let flaky: RpcTestServer;
  let ok: RpcTestServer;
  let second: RpcTestServer;
  let proxy: TestProxy;
  let held: Array<() => void> = [];
  let dir: string;
  let logFile: string;

  before(async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rpc-f-'));
    logFile = path.join(dir, 'rpc.log');
    // Holds every call until released.
    slow = await startRpcServer('slow', (c) => {
      held.push(() => c.reply({ result: { server: 'slow' } }));
    });
    // Resets the connection on calls to `reset`; answers the rest.
    flaky = await startRpcServer('flaky', (c) => {
      if (c.frame.method === 'reset') c.socket.destroy();
      else if (c.frame.method === 'fail') c.reply({ error: 'boom' }, 1);
      else c.reply({ result: { server: 'flaky' } });
    });
    ok = await startRpcServer('ok');
    // Fails the first call with a server error, answers the next ones.
    let calls = 0;
    second = await startRpcServer('second', (c) => (calls++ === 0 ? c.reply({ error: 'first' }, 1) : c.reply({ result: { server: 'second' } })));
    const dead = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'rpc',
          `stat_prefix: f
codecs: [wrpc]
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%REQ(:PATH)%.%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%\\n" } }
route_config:
  routes:
  - match: { service: { exact: slow } }
    route: { cluster: slow, timeout: 0.2s }
  - match: { service: { exact: flaky }, method: { exact: reset } }
    route: { cluster: flaky }
  - name: retried
    match: { service: { exact: retry } }
    route: { cluster: flaky_then_ok, idempotent: true, retry_policy: { retry_on: "reset,connect-failure,server-error", num_retries: 2 } }
  - match: { service: { exact: exhaust } }
    route: { cluster: flaky_only, idempotent: true, retry_policy: { retry_on: reset, num_retries: 2 } }
  - match: { service: { exact: noretry } }
    route: { cluster: flaky_only, retry_policy: { retry_on: reset, num_retries: 2 } }
  - match: { service: { exact: second } }
    route: { cluster: second, idempotent: true, retry_policy: { retry_on: server-error } }
  - match: { service: { exact: dead } }
    route: { cluster: dead }
  - match: { service: { exact: unhealthy } }
    route: { cluster: unhealthy }
  - match: { service: { exact: limited } }
    route: { cluster: limited }
  - match: { service: { exact: pending } }
    route: { cluster: pending1 }`,
        ),
        rpcCluster('slow', [{ port: slow.port }]) +
          rpcCluster('flaky', [{ port: flaky.port }]) +
          rpcCluster('flaky_then_ok', [{ port: flaky.port }, { port: ok.port }], 'lb_policy: ROUND_ROBIN') +
          rpcCluster('dead', [{ port: dead }]) +
          rpcCluster('flaky_only', [{ port: flaky.port }]) +
          rpcCluster('second', [{ port: second.port }]) +
          rpcCluster('limited', [{ port: slow.port }], 'circuit_breakers: { thresholds: [{ max_requests: 1 }] }') +
          rpcCluster('pending1', [{ port: ok.port }], 'circuit_breakers: { thresholds: [{ max_pending_requests: 1 }] }') +
          `
  - name: unhealthy
    type: STATIC
    connect_timeout: 0.5s
    load_assignment: { cluster_name: unhealthy, endpoints: [] }`,
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await slow.close();
    await flaky.close();
    await ok.close();
    await second.close();
    unregisterRpcCodec('wrpc');
    rmSync(dir, { recursive: true, force: true });
  });

  test('answers no_route locally and keeps the connection', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const r = await c.call({ service: 'nowhere', method: 'm' }, { id: 5 });
    assert.equal(r.requestId, 5);
    assert.equal(r.body.local, 'no_route');
    const again = await c.call({ service: 'nowhere', method: 'm' });
    assert.equal(again.body.local, 'no_route');
    assert.equal(c.socket.destroyed, false);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_no_route'), 2);
    await c.close();
  });

  test('answers timeout when the route timeout fires, and the request timeout when smaller', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const t0 = Date.now();
    const own = await c.call({ service: 'slow', method: 'm' }, { timeoutMs: 50 });
    const ownMs = Date.now() - t0;
    const route = await c.call({ service: 'slow', method: 'm' });
    assert.equal(own.body.local, 'timeout');
    assert.equal(route.body.local, 'timeout');
    assert.ok(ownMs < 190, `request timeout took ${ownMs} ms`);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_timeout'), 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.slow.upstream_rq_timeout'), 2);
    // A late answer to a timed-out call is dropped.
    for (const h of held) h();
    held = [];
    const hb = await c.heartbeat();
    assert.equal(hb.heartbeat, true);
    assert.equal(c.others.length, 0);
    await c.close();
  });

  test('answers no_healthy_upstream and upstream_unavailable (connect failure)', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const uh = await c.call({ service: 'unhealthy', method: 'm' });
    assert.equal(uh.body.local, 'no_healthy_upstream');
    const uf = await c.call({ service: 'dead', method: 'm' });
    assert.equal(uf.body.local, 'upstream_unavailable');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_no_healthy_upstream'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_upstream_unavailable'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.dead.upstream_cx_connect_fail'), 1);
    await c.close();
  });

  test('answers overflow when the cluster max_requests circuit breaker is open', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const first = c.call({ service: 'limited', method: 'm' });
    await waitFor(() => held.length === 1);
    const second = await c.call({ service: 'limited', method: 'm' });
    assert.equal(second.body.local, 'overflow');
    (held.shift() as () => void)();
    assert.equal(resultOf(await first).server, 'slow');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_overflow'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.limited.upstream_rq_pending_overflow'), 1);
    await c.close();
  });

  test('counts calls waiting for the first upstream connection against max_pending_requests', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const [first, second] = await Promise.all([c.call({ service: 'pending', method: 'm' }), c.call({ service: 'pending', method: 'm' })]);
    assert.equal(resultOf(first).server, 'ok');
    assert.equal(second.body.local, 'overflow');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.pending1.upstream_rq_pending_total'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.pending1.upstream_rq_pending_overflow'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.pending1.upstream_rq_pending_active'), 0);
    // Once connected nothing waits: concurrent calls all go through.
    const more = await Promise.all([1, 2, 3].map(() => c.call({ service: 'pending', method: 'm' })));
    assert.deepEqual(more.map((r) => r.status), ['ok', 'ok', 'ok']);
    await c.close();
  });

  test('an upstream reset answers upstream_unavailable for every call in flight on it', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const before = await adminStat(proxy.adminPort, 'rpc.f.local_reply_upstream_unavailable');
    // Two calls held on the slow server's connection, then one that makes the flaky server reset.
    const reset = await c.call({ service: 'flaky', method: 'reset' });
    assert.equal(reset.body.local, 'upstream_unavailable');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.local_reply_upstream_unavailable'), before + 1);
    // The proxy reconnects for the next call.
    const next = await c.call({ service: 'flaky', method: 'reset' });
    assert.equal(next.body.local, 'upstream_unavailable');
    assert.equal(flaky.connections >= 2, true);
    await c.close();
  });

  test('several in-flight calls on a reset upstream connection each get a reply', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const calls = [c.call({ service: 'slow', method: 'm' }, { timeoutMs: 5000 }), c.call({ service: 'slow', method: 'm' }, { timeoutMs: 5000 })];
    await waitFor(() => held.length === 2);
    held = [];
    for (const s of slow.sockets) s.destroy();
    const res = await Promise.all(calls);
    assert.deepEqual(res.map((r) => r.body.local), ['upstream_unavailable', 'upstream_unavailable']);
    await c.close();
  });

  test('retries an idempotent call after a reset and a server error, on another host', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    for (let i = 0; i < 2; i++) {
      const r = await c.call({ service: 'retry', method: 'reset' });
      assert.equal(resultOf(r).server, 'ok');
    }
    const r = await c.call({ service: 'retry', method: 'fail' });
    assert.equal(resultOf(r).server, 'ok');
    assert.ok((await adminStat(proxy.adminPort, 'cluster.flaky_then_ok.upstream_rq_retry')) >= 1);
    assert.ok((await adminStat(proxy.adminPort, 'cluster.flaky_then_ok.upstream_rq_retry_success')) >= 1);
    await c.close();
  });

  test('retries exactly num_retries times, only on idempotent routes, and a server error once', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const exhausted = await c.call({ service: 'exhaust', method: 'reset' });
    assert.equal(exhausted.body.local, 'upstream_unavailable');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.flaky_only.upstream_rq_total'), 3);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.flaky_only.upstream_rq_retry'), 2);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.flaky_only.upstream_rq_retry_limit_exceeded'), 1);
    const notIdempotent = await c.call({ service: 'noretry', method: 'reset' });
    assert.equal(notIdempotent.body.local, 'upstream_unavailable');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.flaky_only.upstream_rq_total'), 4);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.flaky_only.upstream_rq_retry'), 2);
    const r = await c.call({ service: 'second', method: 'm' });
    assert.equal(resultOf(r).server, 'second');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.second.upstream_rq_retry'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.second.upstream_rq_retry_success'), 1);
    await c.close();
  });

  test('a malformed frame closes only that connection; the proxy keeps serving', async () => {
    const bad = await RpcTestClient.connect(proxy.port('rpc'));
    const good = await RpcTestClient.connect(proxy.port('rpc'));
    bad.write(Buffer.from('XX not a frame at all, definitely'));
    await bad.closed;
    const r = await good.call({ service: 'retry', method: 'hello' }, { timeoutMs: 1000 });
    assert.equal(r.status, 'ok');
    assert.equal(await adminStat(proxy.adminPort, 'rpc.f.downstream_cx_protocol_error'), 1);
    // A truncated frame arriving in pieces is assembled, not an error.
    const frame = encodeTestFrame(MAGIC, { flags: 0, status: 0, id: 77, timeoutMs: 0, body: { service: 'retry', method: 'hello' } });
    const p = new Promise<Buffer>((resolve) => good.socket.once('data', resolve));
    good.write(frame.subarray(0, 5));
    await new Promise((r2) => setTimeout(r2, 20));
    good.write(frame.subarray(5));
    const raw = await p;
    assert.equal(raw.readUInt32BE(4), 77);
    await good.close();
  });

  test('access logs carry the service, method, code and Envoy response flags of each call', () => {
    flushAllAccessLogs();
    const lines = readFileSync(logFile, 'utf8').split('\n');
    assert.equal(lines.filter((l) => l === 'nowhere.m 404 NR').length, 2);
    assert.equal(lines.filter((l) => l === 'slow.m 504 UT').length, 2);
    assert.ok(lines.includes('unhealthy.m 503 UH'));
    assert.ok(lines.includes('dead.m 503 UF'));
    assert.ok(lines.includes('limited.m 503 UO'));
    assert.ok(lines.includes('flaky.reset 503 UC'));
    assert.ok(lines.includes('retry.reset 200 -'));
    assert.ok(lines.includes('exhaust.reset 503 UC,URX'), lines.join('|'));
  });
});

describe('rpc_proxy drain', () => {
  test('on listener drain sends goaway, finishes in-flight calls, then closes', async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    const held: Array<() => void> = [];
    const srv = await startRpcServer('s', (c) => held.push(() => c.reply({ result: { server: 's' } })));
    const proxy = await startProxyFromYaml(
      bootstrap(rpcListener('rpc', `stat_prefix: d\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: s } }] }`), rpcCluster('s', [{ port: srv.port }])),
      { drainTimeMs: 2000 },
    );
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const call = c.call({ service: 'x', method: 'y' });
    await waitFor(() => held.length === 1);
    void proxy.server.drainListeners({ inboundOnly: false, graceful: true });
    await waitFor(() => c.others.some((f) => f.goAway));
    assert.equal(c.socket.destroyed, false);
    (held.shift() as () => void)();
    assert.equal(resultOf(await call).server, 's');
    // The proxy closes the connection once its last call is answered.
    await c.closed;
    assert.equal(await adminStat(proxy.adminPort, 'rpc.d.downstream_goaway_sent'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.d.downstream_cx_drain_close'), 1);
    await proxy.close();
    await srv.close();
    unregisterRpcCodec('wrpc');
  });
});

describe('rpc_proxy protocol detection', () => {
  test('picks the codec from the first bytes when several are configured', async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    registerRpcCodec(createTestCodec('xrpc', 'XR'));
    const srv = await startRpcServer('s');
    const proxy = await startProxyFromYaml(
      bootstrap(rpcListener('rpc', `stat_prefix: det\ncodecs: [xrpc, wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: s } }] }`), rpcCluster('s', [{ port: srv.port }])),
    );
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    // One byte at a time: the proxy waits until it can tell.
    const frame = encodeTestFrame(MAGIC, { flags: 0, status: 0, id: 3, timeoutMs: 0, body: { service: 'a', method: 'b' } });
    const p = new Promise<Buffer>((resolve) => c.socket.once('data', resolve));
    c.write(frame.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    c.write(frame.subarray(1));
    assert.equal((await p).readUInt32BE(4), 3);
    const unknown = net.connect(proxy.port('rpc'), '127.0.0.1');
    unknown.on('error', () => undefined);
    unknown.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => unknown.on('close', r));
    assert.equal(await adminStat(proxy.adminPort, 'rpc.det.downstream_cx_unknown_protocol'), 1);
    await c.close();
    await proxy.close();
    await srv.close();
    unregisterRpcCodec('xrpc');
    unregisterRpcCodec('wrpc');
  });
});
