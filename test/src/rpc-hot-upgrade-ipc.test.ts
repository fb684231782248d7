import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { peerDecode, peerRequest } from '@weft/proxy/codec/bolt/test-peer';
import type { DetachedConnection } from '@weft/proxy/network/detached-connection';
import { createSofaConsumer, startProxyFromYaml, startSofaServer, type SofaServer, type TestProxy } from '@weft/testing';
import { bytesRead } from './connection-bytes.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// The real hand-over path: OLD (this process) detaches idle RPC connections and sends each socket to NEW (a child
// process) over the IPC channel with `send(message, socket)`; NEW adopts it and serves the client's next bytes.

const SERVICE = 'com.example.EchoService';

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('RPC connections handed to a child process over IPC', () => {
  let sofa: SofaServer;
  let old: TestProxy;
  let child: ChildProcess;
  let childAdmin = 0;

  before(async () => {
    sofa = await startSofaServer({ interfaceName: SERVICE, methods: { echo: (s: unknown) => `echo ${String(s)}` } });
    const yaml = bootstrap(
      rpcListener('bolt', `stat_prefix: b\ncodecs: [bolt, dubbo]\nroute_config: { routes: [{ match: {}, route: { cluster: sofa } }] }`),
      rpcCluster('sofa', [{ port: sofa.port }]),
    );
    old = await startProxyFromYaml(yaml);
    child = fork(fileURLToPath(new URL('./hot-upgrade-child.js', import.meta.url)), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.send({ type: 'start', yaml });
    const [ready] = (await once(child, 'message')) as [{ adminPort: number }];
    childAdmin = ready.adminPort;
  });

  after(async () => {
    child.send({ type: 'stop' });
    await once(child, 'exit');
    await old.close();
    await sofa.close();
  });

  async function handOver(conns: DetachedConnection[]): Promise<void> {
    for (const c of conns) {
      const acked = once(child, 'message');
      child.send({ type: 'adopt', listenerName: c.listenerName, unread: c.unread.toString('base64') }, c.socket);
      await acked;
    }
  }

  test('an idle sofa-rpc-node connection continues in the child process', async () => {
    const consumer = await createSofaConsumer(old.port('bolt'), { interfaceName: SERVICE });
    assert.equal(await consumer.invoke('echo', ['before']), 'echo before');
    const detached = old.server.detachIdleConnections();
    assert.equal(detached.length, 1);
    await handOver(detached);
    for (const n of ['after 1', 'after 2']) assert.equal(await consumer.invoke('echo', [n]), `echo ${n}`);
    assert.equal(await adminStat(childAdmin, 'rpc.b.request'), 2);
    assert.equal(await adminStat(old.adminPort, 'rpc.b.request'), 1);
    await consumer.close();
    await waitFor(async () => (await adminStat(childAdmin, 'rpc.b.downstream_cx_active')) === 0);
  });

  test('a Bolt frame split across the hand-over, with more bytes sent before the child adopts, is answered', async () => {
    const frame = peerRequest(41, {}, { serverSignature: `${SERVICE}:1.0`, methodName: 'echo', args: ['ipc'] });
    const client = net.connect(old.port('bolt'), '127.0.0.1');
    await once(client, 'connect');
    const received: Buffer[] = [];
    client.on('data', (d: Buffer) => received.push(d));
    const detached: DetachedConnection[] = [];
    try {
      const read = bytesRead(old, 'bolt');
      client.write(frame.subarray(0, 3));
      await waitFor(() => bytesRead(old, 'bolt') === read + 3);
      detached.push(...old.server.detachIdleConnections());
      assert.deepEqual(detached.map((d) => d.unread.length), [3]);
      // These bytes stay in the kernel (OLD stopped reading) and reach the child after the 3 unread ones.
      client.write(frame.subarray(3, 40));
      await new Promise((r) => setTimeout(r, 20));
      await handOver(detached.splice(0));
      client.write(frame.subarray(40));
      await waitFor(() => received.length > 0);
      const res = peerDecode(Buffer.concat(received));
      assert.equal(res.packetId, 41);
      assert.equal(res.data?.appResponse, 'echo ipc');
    } finally {
      // A failure must not leave a socket nobody reads or closes: it would keep this file running until its timeout.
      for (const d of detached) d.socket.destroy();
      client.destroy();
    }
  });
});
