import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { peerDecode, peerRequest } from '@weft/proxy/codec/bolt/test-peer';
import type { DetachedConnection } from '@weft/proxy/network/detached-connection';
import {
  createSofaConsumer, createThriftClient, dubboClient, dubboRequestFrame, java, startDubboProvider, startProxyFromYaml, startSofaServer,
  startThriftServer, type DubboProvider, type SofaServer, type TestProxy, type TestThriftServer,
} from '@weft/testing';
import { bytesRead } from './connection-bytes.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

// Hot upgrade of RPC connections inside one process: two proxies with the same listener names stand for OLD and NEW;
// idle connections detached from OLD are adopted by NEW with their unread bytes, and the clients never notice.

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const BOLT_SERVICE = 'com.example.EchoService';
const DUBBO_SERVICE = 'com.weft.test.DemoService';

function listeners(): string {
  const route = (cluster: string): string => `route_config: { routes: [{ match: {}, route: { cluster: ${cluster} } }] }`;
  return (
    rpcListener('bolt', `stat_prefix: b\ncodecs: [bolt]\n${route('sofa')}`) +
    rpcListener('multi', `stat_prefix: m\ncodecs: [dubbo, thrift, bolt]\n${route('sofa')}`) +
    rpcListener('dubbo', `stat_prefix: d\ncodecs: [dubbo]\n${route('dubbo')}`) +
    rpcListener('thrift', `stat_prefix: t\ncodecs: [thrift]\n${route('thrift')}`) +
    rpcListener('inspected', `stat_prefix: i\ncodecs: [bolt]\n${route('sofa')}`).replace(
      '    filter_chains:',
      '    listener_filters:\n    - name: envoy.filters.listener.tls_inspector\n      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }\n    filter_chains:',
    )
  );
}

/** A raw client socket that collects what it reads. */
function rawConnect(port: number): Promise<{ socket: net.Socket; received: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received }));
  });
}

describe('RPC connections move between proxies on hot upgrade', () => {
  let sofa: SofaServer;
  let dubbo: DubboProvider;
  let thrift: TestThriftServer;
  let oldProxy: TestProxy;
  let newProxy: TestProxy;

  before(async () => {
    sofa = await startSofaServer({ interfaceName: BOLT_SERVICE, methods: {
        echo: (s: unknown) => `echo ${String(s)}`,
        slow: async (ms: unknown) => {
          await new Promise((r) => setTimeout(r, Number(ms)));
          return `slow ${String(ms)}`;
        },
      },
    });
    dubbo = await startDubboProvider({ services: { [DUBBO_SERVICE]: { sayHello: (args) => `hello ${String(args[0])}` } } });
    thrift = await startThriftServer({ transport: 'framed', protocol: 'binary' });
    const yaml = bootstrap(
      listeners(),
      rpcCluster('sofa', [{ port: sofa.port }]) + rpcCluster('dubbo', [{ port: dubbo.port }]) + rpcCluster('thrift', [{ port: thrift.port }]),
    );
    oldProxy = await startProxyFromYaml(yaml);
    newProxy = await startProxyFromYaml(yaml);
  });

  after(async () => {
    await oldProxy.close();
    await newProxy.close();
    await sofa.close();
    await dubbo.close();
    await thrift.close();
  });

  /** Detaches every idle connection of OLD and has NEW adopt them; returns how many moved per listener. */
  function upgrade(): Record<string, number> {
    const moved: Record<string, number> = {};
    for (const c of oldProxy.server.detachIdleConnections()) {
      moved[c.listenerName] = (moved[c.listenerName] ?? 0) + 1;
      newProxy.server.adoptConnection(c);
    }
    return moved;
  }

  test('an idle sofa-rpc-node connection moves: its next call is served by NEW on the same TCP connection', async () => {
    const consumer = await createSofaConsumer(oldProxy.port('bolt'), { interfaceName: BOLT_SERVICE });
    assert.equal(await consumer.invoke('echo', ['one']), 'echo one');
    assert.deepEqual(upgrade(), { bolt: 1 });
    assert.equal(await adminStat(oldProxy.adminPort, 'listener.127.0.0.1_' + oldProxy.port('bolt') + '.downstream_cx_detached'), 1);
    assert.equal(await adminStat(oldProxy.adminPort, 'rpc.b.downstream_cx_active'), 0);
    assert.equal(await consumer.invoke('echo', ['two']), 'echo two');
    assert.equal(await adminStat(oldProxy.adminPort, 'rpc.b.request'), 1);
    assert.equal(await adminStat(newProxy.adminPort, 'rpc.b.request'), 1);
    assert.equal(await adminStat(newProxy.adminPort, 'rpc.b.downstream_cx_total'), 1);
    // The client kept its connection: OLD accepted one, NEW accepted none and adopted one.
    const newListener = `listener.127.0.0.1_${newProxy.port('bolt')}`;
    assert.equal(await adminStat(newProxy.adminPort, `${newListener}.downstream_cx_total`), 1);
    assert.equal(await adminStat(newProxy.adminPort, `${newListener}.downstream_cx_adopted`), 1);
    assert.equal(await adminStat(newProxy.adminPort, `${newListener}.downstream_cx_active`), 1);
    assert.equal(await adminStat(oldProxy.adminPort, `listener.127.0.0.1_${oldProxy.port('bolt')}.downstream_cx_total`), 1);
    await consumer.close();
  });

  test('a Bolt request split across the move is answered with its request id', async () => {
    const frame = peerRequest(7, {}, { serverSignature: `${BOLT_SERVICE}:1.0`, methodName: 'echo', args: ['split'] });
    const half = Math.floor(frame.length / 2);
    const c = await rawConnect(oldProxy.port('bolt'));
    const moved: DetachedConnection[] = [];
    try {
      const before = await adminStat(newProxy.adminPort, 'rpc.b.request');
      const read = bytesRead(oldProxy, 'bolt');
      c.socket.write(frame.subarray(0, half));
      await waitFor(() => bytesRead(oldProxy, 'bolt') === read + half);
      moved.push(...oldProxy.server.detachIdleConnections());
      assert.equal(moved.length, 1);
      assert.equal(moved[0]?.unread.length, half);
      for (const m of moved.splice(0)) newProxy.server.adoptConnection(m);
      c.socket.write(frame.subarray(half));
      await waitFor(() => c.received.length > 0);
      const res = peerDecode(Buffer.concat(c.received));
      assert.equal(res.packetType, 'response');
      assert.equal(res.packetId, 7);
      assert.equal(res.data?.appResponse, 'echo split');
      assert.equal(await adminStat(newProxy.adminPort, 'rpc.b.request'), before + 1);
    } finally {
      // A failure must not leave a socket nobody reads or closes: it would keep this file running until its timeout.
      for (const m of moved) m.socket.destroy();
      c.socket.destroy();
    }
  });

  test('protocol detection starts over in NEW from bytes OLD had not told apart yet', async () => {
    const frame = peerRequest(9, {}, { serverSignature: `${BOLT_SERVICE}:1.0`, methodName: 'echo', args: ['detect'] });
    const c = await rawConnect(oldProxy.port('multi'));
    const moved: DetachedConnection[] = [];
    try {
      const read = bytesRead(oldProxy, 'multi');
      c.socket.write(frame.subarray(0, 2));
      await waitFor(() => bytesRead(oldProxy, 'multi') === read + 2);
      moved.push(...oldProxy.server.detachIdleConnections());
      assert.deepEqual(moved.map((m) => [m.listenerName, m.unread.length]), [['multi', 2]]);
      for (const m of moved.splice(0)) newProxy.server.adoptConnection(m);
      c.socket.write(frame.subarray(2));
      await waitFor(() => c.received.length > 0);
      const res = peerDecode(Buffer.concat(c.received));
      assert.equal(res.packetId, 9);
      assert.equal(res.data?.appResponse, 'echo detect');
      assert.equal(await adminStat(newProxy.adminPort, 'rpc.m.request'), 1);
    } finally {
      for (const m of moved) m.socket.destroy();
      c.socket.destroy();
    }
  });

  test('an idle dubbo2.js connection moves and its next call is answered through NEW', async () => {
    const client = dubboClient(oldProxy.port('dubbo'));
    const svc = client.service({ dubboInterface: DUBBO_SERVICE, version: '1.0.0', methods: { sayHello: (n: string) => [java.String(n)] } });
    assert.deepEqual(await svc['sayHello']?.('a'), { res: 'hello a', err: null });
    assert.deepEqual(upgrade(), { dubbo: 1 });
    assert.deepEqual(await svc['sayHello']?.('b'), { res: 'hello b', err: null });
    assert.equal(await adminStat(newProxy.adminPort, 'rpc.d.request'), 1);
    assert.equal(await adminStat(oldProxy.adminPort, 'rpc.d.request'), 1);
    client.close();
  });

  test('a Dubbo request split across the move is answered with its request id', async () => {
    const frame = dubboRequestFrame({ id: 77, service: DUBBO_SERVICE, version: '1.0.0', method: 'sayHello', args: [['Ljava/lang/String;', 'x']] });
    const c = await rawConnect(oldProxy.port('dubbo'));
    const moved: DetachedConnection[] = [];
    try {
      const read = bytesRead(oldProxy, 'dubbo');
      c.socket.write(frame.subarray(0, 20));
      await waitFor(() => bytesRead(oldProxy, 'dubbo') === read + 20);
      moved.push(...oldProxy.server.detachIdleConnections());
      assert.deepEqual(moved.map((m) => m.unread.length), [20]);
      for (const m of moved.splice(0)) newProxy.server.adoptConnection(m);
      c.socket.write(frame.subarray(20));
      await waitFor(() => Buffer.concat(c.received).length >= 16);
      const res = Buffer.concat(c.received);
      assert.equal(res.readUInt16BE(0), 0xdabb);
      assert.equal(res[3], 20); // OK
      assert.equal(res.readBigUInt64BE(4), 77n);
    } finally {
      for (const m of moved) m.socket.destroy();
      c.socket.destroy();
    }
  });

  test('an idle framed-binary thrift connection moves and keeps working', async () => {
    const client = await createThriftClient(oldProxy.port('thrift'), { transport: 'framed', protocol: 'binary' });
    assert.equal(await client.calc.add(1, 2), 3);
    assert.deepEqual(upgrade(), { thrift: 1 });
    assert.equal(await client.calc.add(3, 4), 7);
    assert.equal(await adminStat(newProxy.adminPort, 'rpc.t.request'), 1);
    assert.deepEqual(client.errors, []);
    await client.close();
  });

  test('NEW does not run the listener filters OLD already ran', async () => {
    const consumer = await createSofaConsumer(oldProxy.port('inspected'), { interfaceName: BOLT_SERVICE });
    assert.equal(await consumer.invoke('echo', ['i1']), 'echo i1');
    assert.equal(await adminStat(oldProxy.adminPort, 'tls_inspector.tls_not_found'), 1);
    assert.deepEqual(upgrade(), { inspected: 1 });
    assert.equal(await consumer.invoke('echo', ['i2']), 'echo i2');
    assert.equal(await adminStat(newProxy.adminPort, 'rpc.i.request'), 1);
    assert.equal(await adminStat(newProxy.adminPort, 'tls_inspector.tls_not_found'), 0);
    await consumer.close();
  });

  test('a connection with a call in flight stays in OLD and finishes its call there', async () => {
    const consumer = await createSofaConsumer(oldProxy.port('bolt'), { interfaceName: BOLT_SERVICE });
    const before = await adminStat(oldProxy.adminPort, 'rpc.b.request');
    const call = consumer.invoke('slow', [150]);
    await waitFor(async () => (await adminStat(oldProxy.adminPort, 'rpc.b.request')) === before + 1);
    assert.deepEqual(oldProxy.server.detachIdleConnections(), []);
    assert.equal(await call, 'slow 150');
    assert.equal(await adminStat(oldProxy.adminPort, 'rpc.b.downstream_cx_active'), 1);
    await consumer.close();
  });

  test('a connection for a listener NEW does not have is closed and counted', async () => {
    const c = await rawConnect(newProxy.port('bolt'));
    const closed = new Promise((r) => c.socket.once('close', r));
    newProxy.server.adoptConnection({ listenerName: 'nope', socket: c.socket, unread: Buffer.alloc(0) });
    await closed;
    assert.equal(await adminStat(newProxy.adminPort, 'listener_manager.cx_adopt_no_listener'), 1);
  });
});

describe('only connections whose filter can move are detached', () => {
  test('idle HTTP/1.1 keep-alive and tcp_proxy connections stay where they are', async () => {
    let upstreamConnections = 0;
    const target = net.createServer((s) => {
      upstreamConnections++;
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as net.AddressInfo).port;
    const proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: `- match: { prefix: / }\n  direct_response: { status: 200, body: { inline_string: ok } }` }) +
          `
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: target`,
        staticCluster('target', [targetPort]),
      ),
    );
    const http = await rawConnect(proxy.port('http'));
    http.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => Buffer.concat(http.received).includes('ok'));
    const tcp = await rawConnect(proxy.port('tcp'));
    await waitFor(() => upstreamConnections === 1);
    assert.deepEqual(proxy.server.detachIdleConnections(), []);
    await new Promise((r) => setTimeout(r, 30));
    for (const name of ['http', 'tcp']) {
      assert.equal(await adminStat(proxy.adminPort, `listener.127.0.0.1_${proxy.port(name)}.downstream_cx_active`), 1, name);
      assert.equal(await adminStat(proxy.adminPort, `listener.127.0.0.1_${proxy.port(name)}.downstream_cx_detached`), 0, name);
    }
    assert.equal(http.socket.destroyed, false);
    assert.equal(tcp.socket.destroyed, false);
    http.socket.destroy();
    tcp.socket.destroy();
    await proxy.close();
    target.close();
  });
});
