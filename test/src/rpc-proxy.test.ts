import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createTestCodec, encodeTestFrame, F_GOAWAY } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

describe('rpc_proxy: calls, multiplexing, oneway, heartbeats', () => {
  let server: RpcTestServer;
  let proxy: TestProxy;
  let dir: string;
  let logFile: string;

  before(async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rpc-'));
    logFile = path.join(dir, 'rpc.log');
    server = await startRpcServer('s1');
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'rpc',
          `stat_prefix: front
codecs: [wrpc]
route_config:
  routes:
  - name: all
    match: {}
    route: { cluster: backend }
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%PROTOCOL% %REQ(:PATH)% %REQ(:METHOD)% %ROUTE_NAME% %UPSTREAM_CLUSTER% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_HOST% %UPSTREAM_LOCAL_ADDRESS%\\n" } }`,
        ),
        rpcCluster('backend', [{ port: server.port }]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await server.close();
    unregisterRpcCodec('wrpc');
    rmSync(dir, { recursive: true, force: true });
  });

  test('forwards a unary call and returns the response with the client request id', async () => {
    const client = await RpcTestClient.connect(proxy.port('rpc'));
    const res = await client.call({ service: 'com.acme.Hello', method: 'sayHello', args: ['bob'] }, { id: 4242 });
    assert.equal(res.requestId, 4242);
    assert.equal(res.status, 'ok');
    assert.deepEqual(resultOf(res), { server: 's1', service: 'com.acme.Hello', method: 'sayHello', args: ['bob'], headers: {} });
    await client.close();
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.request'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.response_success'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.service.com_acme_Hello.sayHello.request'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.backend.upstream_rq_total'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.backend.upstream_rq_completed'), 1);
    flushAllAccessLogs();
    assert.match(readFileSync(logFile, 'utf8'), new RegExp(`^wrpc com\\.acme\\.Hello sayHello all backend 200 - 127\\.0\\.0\\.1:${server.port} 127\\.0\\.0\\.1:\\d+\\n$`));
    const prom = await request(proxy.adminPort, '/stats/prometheus');
    assert.match(prom.body, /istio_requests_total\{[^}]*request_protocol="wrpc",response_code="200"[^}]*\} 1/);
  });

  test('multiplexes concurrent calls on one upstream connection with rewritten ids, answered out of order', async () => {
    const before = server.connections;
    const received = server.received.length;
    // Answer in reverse order of arrival once all five are in.
    const held: Array<() => void> = [];
    server.handler = (c) => {
      held.push(() => c.reply({ result: { server: 's1', service: c.frame.service, method: c.frame.method, args: c.frame.body.args ?? [], headers: {} } }));
      if (held.length === 5) for (const h of held.reverse()) h();
    };
    const a = await RpcTestClient.connect(proxy.port('rpc'));
    const b = await RpcTestClient.connect(proxy.port('rpc'));
    const calls = [
      a.call({ service: 'S', method: 'm', args: [1] }, { id: 7 }),
      a.call({ service: 'S', method: 'm', args: [2] }, { id: 8 }),
      b.call({ service: 'S', method: 'm', args: [3] }, { id: 7 }),
      a.call({ service: 'S', method: 'm', args: [4] }, { id: 9 }),
      b.call({ service: 'S', method: 'm', args: [5] }, { id: 8 }),
    ];
    const res = await Promise.all(calls);
    assert.deepEqual(res.map((r) => r.requestId), [7, 8, 7, 9, 8]);
    assert.deepEqual(res.map((r) => resultOf(r).args[0]), [1, 2, 3, 4, 5]);
    // One upstream connection carried all of them (the first test opened it), with distinct upstream ids.
    assert.equal(server.connections, before);
    const ids = server.received.slice(received).map((f) => f.requestId);
    assert.equal(new Set(ids).size, 5);
    await a.close();
    await b.close();
  });

  test('forwards oneway calls without tracking a response', async () => {
    server.handler = () => undefined;
    const n = server.received.length;
    const client = await RpcTestClient.connect(proxy.port('rpc'));
    void client.call({ service: 'S', method: 'fire', args: [] }, { oneway: true });
    const deadline = Date.now() + 2000;
    while (server.received.length === n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.received[n]?.oneway, true);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.request_oneway'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.request_active'), 0);
    await client.close();
  });

  test('answers bad_request for a frame its codec cannot serve, without routing it', async () => {
    const client = await RpcTestClient.connect(proxy.port('rpc'));
    const n = server.received.length;
    const r = await client.call({ service: 'S', method: 'm', bad: 'unknown serialization 9' });
    assert.equal(r.body.local, 'bad_request');
    assert.equal(r.body.error, 'unknown serialization 9');
    assert.equal(server.received.length, n);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.local_reply_bad_request'), 1);
    await client.close();
  });

  test('stops using an upstream connection whose server sent GoAway; ignores a client GoAway', async () => {
    server.handler = (c) => {
      if (c.frame.method === 'bye') c.socket.write(encodeTestFrame(MAGIC, { flags: F_GOAWAY, status: 0, id: 0, timeoutMs: 0, body: {} }));
      c.reply({ result: { server: 's1', service: c.frame.service, method: c.frame.method, args: [], headers: {} } });
    };
    const client = await RpcTestClient.connect(proxy.port('rpc'));
    client.write(encodeTestFrame(MAGIC, { flags: F_GOAWAY, status: 0, id: 0, timeoutMs: 0, body: {} }));
    const before = server.connections;
    assert.equal(resultOf(await client.call({ service: 'S', method: 'bye' })).method, 'bye');
    assert.equal(resultOf(await client.call({ service: 'S', method: 'after' })).method, 'after');
    assert.equal(server.connections, before + 1);
    assert.equal(client.others.length, 0);
    await client.close();
  });

  test('answers downstream heartbeats locally', async () => {
    const n = server.heartbeats.length;
    const client = await RpcTestClient.connect(proxy.port('rpc'));
    const hb = await client.heartbeat();
    assert.equal(hb.heartbeat, true);
    assert.equal(hb.kind, 'response');
    assert.equal(server.heartbeats.length, n);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.front.request_heartbeat'), 1);
    await client.close();
  });
});
