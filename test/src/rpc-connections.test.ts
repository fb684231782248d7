import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { createTestCodec } from './rpc-test-codec.js';
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

describe('rpc_proxy connections: upstream heartbeats, idle timeout, mirroring, connections per host', () => {
  let main: RpcTestServer;
  let shadow: RpcTestServer;
  let proxy: TestProxy;

  before(async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    main = await startRpcServer('main');
    shadow = await startRpcServer('shadow');
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'rpc',
          `stat_prefix: conns
codecs: [wrpc]
idle_timeout: 0.15s
upstream_heartbeat_interval: 0.05s
upstream_connections_per_host: 2
route_config:
  routes:
  - match: { service: { exact: mirrored } }
    route: { cluster: main, request_mirror_policies: [{ cluster: shadow }] }
  - match: {}
    route: { cluster: main }`,
        ),
        rpcCluster('main', [{ port: main.port }]) + rpcCluster('shadow', [{ port: shadow.port }]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await main.close();
    await shadow.close();
    unregisterRpcCodec('wrpc');
  });

  test('sends heartbeats on idle pooled upstream connections and swallows their answers', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    assert.equal(resultOf(await c.call({ service: 's', method: 'm' })).server, 'main');
    await waitFor(() => main.heartbeats.length >= 2);
    assert.ok((await adminStat(proxy.adminPort, 'rpc.conns.upstream_heartbeat')) >= 2);
    assert.equal(c.others.length, 0);
    await c.close();
  });

  test('replaces an idle upstream connection whose heartbeat goes unanswered', async () => {
    main.answerHeartbeats = false;
    const before = main.connections;
    await waitFor(() => main.sockets.size === 0);
    assert.equal(await adminStat(proxy.adminPort, 'rpc.conns.upstream_heartbeat_timeout'), 1);
    assert.equal(await adminStat(proxy.adminPort, 'cluster.main.upstream_cx_destroy_local'), 1);
    main.answerHeartbeats = true;
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    assert.equal(resultOf(await c.call({ service: 's', method: 'm' })).server, 'main');
    assert.equal(main.connections, before + 1);
    await c.close();
  });

  test('closes a downstream connection idle for idle_timeout', async () => {
    const before = await adminStat(proxy.adminPort, 'rpc.conns.downstream_cx_idle_timeout');
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    await c.call({ service: 's', method: 'm' });
    await c.closed;
    assert.equal(await adminStat(proxy.adminPort, 'rpc.conns.downstream_cx_idle_timeout'), before + 1);
  });

  test('mirrors a request to the shadow cluster and answers with the primary response', async () => {
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const r = await c.call({ service: 'mirrored', method: 'm', args: [1] });
    assert.equal(resultOf(r).server, 'main');
    await waitFor(() => shadow.received.length === 1);
    assert.equal(shadow.received[0]?.service, 'mirrored');
    assert.equal(await adminStat(proxy.adminPort, 'cluster.shadow.upstream_rq_total'), 1);
    await c.close();
  });

  test('opens up to upstream_connections_per_host connections when calls overlap', async () => {
    const held: Array<() => void> = [];
    main.handler = (call) => held.push(() => call.reply({ result: { server: 'main' } }));
    const before = main.sockets.size;
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const calls = [1, 2, 3, 4].map((i) => c.call({ service: 's', method: 'm', args: [i] }));
    await waitFor(() => held.length === 4);
    await waitFor(() => main.sockets.size === 2);
    assert.equal(before, 1);
    for (const h of held) h();
    const res = await Promise.all(calls);
    assert.deepEqual(res.map((r) => r.status), ['ok', 'ok', 'ok', 'ok']);
    await c.close();
  });
});

describe('rpc_proxy backpressure', () => {
  test('stops reading requests while the client does not read its responses, then resumes', async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    const big = 'x'.repeat(100_000);
    const srv = await startRpcServer('big', (c) => c.reply({ result: big }));
    const proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener('rpc', `stat_prefix: bp\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: big } }] }`).replace(
          '    filter_chains:',
          '    per_connection_buffer_limit_bytes: 16384\n    filter_chains:',
        ),
        rpcCluster('big', [{ port: srv.port }]),
      ),
    );
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    c.socket.pause();
    const calls = Array.from({ length: 60 }, (_, i) => c.call({ service: 's', method: 'm', args: [i] }));
    const stat = (n: string): Promise<number> => adminStat(proxy.adminPort, `rpc.bp.downstream_flow_control_${n}_reading_total`);
    // Paused for good once the kernel buffers are full too (earlier pauses may resume as they fill).
    const deadline = Date.now() + 3000;
    let stable = 0;
    while (stable < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      stable = (await stat('paused')) > (await stat('resumed')) ? stable + 1 : 0;
    }
    assert.equal(stable, 3);
    // Requests sent now stay unread until the client catches up.
    const read = srv.received.length;
    for (let i = 0; i < 20; i++) calls.push(c.call({ service: 's', method: 'late', args: [i] }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.received.length, read);
    assert.equal(srv.received.filter((f) => f.method === 'late').length, 0);
    c.socket.resume();
    const res = await Promise.all(calls);
    assert.equal(res.filter((r) => r.status === 'ok').length, 80);
    assert.equal(await stat('resumed'), await stat('paused'));
    await c.close();
    await proxy.close();
    await srv.close();
    unregisterRpcCodec('wrpc');
  });
});
