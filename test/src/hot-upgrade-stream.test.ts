import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { request } from '@weft/testing';
import { relayUpgrade } from '@weft/proxy/server/hot-upgrade/relay';
import { FakeAdsServer, preloadAdsProtos } from '@weft/testing';
import { hasTool, isAlive, runWrk, sleep, waitForExit, WeftProcess } from './hot-upgrade-harness.js';
import { CDS, dynamicBootstrap, LDS, listenerJson, RDS, routeJson, staticClusterJson } from './xds-fixtures.js';

const noWrk = hasTool('wrk') ? false : 'wrk is not installed (CI installs it): agent-mode hot-upgrade load test NOT RUN';
if (noWrk) process.stderr.write(`\n*** SKIPPED: ${noWrk} ***\n`);

const codec = {
  requestSerialize: (s: string): Buffer => Buffer.from(s),
  requestDeserialize: (b: Buffer): string => b.toString(),
  responseSerialize: (s: string): Buffer => Buffer.from(s),
  responseDeserialize: (b: Buffer): string => b.toString(),
};
const SERVICE = {
  unary: { path: '/weft.test.Upgrade/Unary', requestStream: false, responseStream: false, ...codec },
  serverStream: { path: '/weft.test.Upgrade/ServerStream', requestStream: false, responseStream: true, ...codec },
  bidi: { path: '/weft.test.Upgrade/Bidi', requestStream: true, responseStream: true, ...codec },
} satisfies grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Upgrade');
type Fn = (...args: unknown[]) => unknown;
type UpgradeClient = grpc.Client & { unary: Fn; serverStream: Fn; bidi: Fn };

const ITEM_INTERVAL_MS = 100;
/** Set by the test once the upgrade is done: server streams then end. */
let releaseStreams = false;

describe('hot upgrade with long-lived streams and under an agent', () => {
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let httpUpstream: http.Server;
  let httpPort: number;

  before(async () => {
    grpcServer = new grpc.Server();
    grpcServer.addService(SERVICE, {
      unary: (call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => cb(null, `echo:${call.request}`),
      // One item every ITEM_INTERVAL_MS until the test releases the stream: it outlives the upgrade however slow.
      serverStream: (call: grpc.ServerWritableStream<string, string>) => {
        let i = 0;
        const t = setInterval(() => {
          call.write(`item-${i++}`);
          if (releaseStreams) {
            clearInterval(t);
            call.end();
          }
        }, ITEM_INTERVAL_MS);
        call.on('cancelled', () => clearInterval(t));
      },
      bidi: (call: grpc.ServerDuplexStream<string, string>) => {
        call.on('data', (m: string) => call.write(m.toUpperCase()));
        call.on('end', () => call.end());
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    httpUpstream = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    await new Promise<void>((r) => httpUpstream.listen(0, '127.0.0.1', r));
    httpPort = (httpUpstream.address() as AddressInfo).port;
  });

  after(async () => {
    grpcServer.forceShutdown();
    await new Promise<void>((r) => {
      httpUpstream.close(() => r());
      httpUpstream.closeAllConnections();
    });
  });

  test('gRPC server-streaming and bidi calls started before the upgrade finish OK on the old process while new calls go to the new one, across two back-to-back upgrades', async () => {
    const proxy = await WeftProcess.start({ upstreamPort: grpcPort, h2Upstream: true, drainTimeS: 30 });
    const client = new Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure()) as unknown as UpgradeClient;
    try {
      assert.equal(await unary(client, 'before'), 'echo:before');
      const items: string[] = [];
      releaseStreams = false;
      const stream = client.serverStream('go') as grpc.ClientReadableStream<string>;
      stream.on('data', (m: string) => items.push(m));
      const streamStatus = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
      // Failures arrive as 'status' too (asserted below); without a listener 'error' would be thrown.
      stream.on('error', () => undefined);
      const bidi = client.bidi() as grpc.ClientDuplexStream<string, string>;
      const echoed: string[] = [];
      bidi.on('data', (m: string) => echoed.push(m));
      const bidiStatus = new Promise<grpc.StatusObject>((resolve) => bidi.on('status', resolve));
      bidi.on('error', () => undefined);
      bidi.write('a');
      await sleep(200);

      const { status, report } = await proxy.upgrade();
      assert.equal(status, 200, JSON.stringify(report));
      bidi.write('b');
      // OLD still serves the streams (it drains), so this call can only have gone to NEW.
      assert.equal(await unary(client, 'after'), 'echo:after');
      assert.equal(isAlive(report.old_pid), true, 'the old process drains while its streams run');
      // Back to back: the new process hands over again while the first one still drains.
      const second = await proxy.upgrade();
      assert.equal(second.status, 200, JSON.stringify(second.report));
      assert.equal(second.report.old_pid, report.new_pid);
      assert.equal(await unary(client, 'third'), 'echo:third');
      assert.equal(isAlive(report.old_pid), true, `the first process still drains\n${proxy.output}`);
      const beforeRelease = items.length;
      releaseStreams = true;
      bidi.write('c');
      bidi.end();

      const s = await streamStatus;
      assert.equal(s.code, grpc.status.OK, `${s.details}\n${proxy.output}`);
      assert.ok(items.length > beforeRelease && beforeRelease > 0, `${beforeRelease} items before the release, ${items.length} in all`);
      assert.deepEqual(items, Array.from({ length: items.length }, (_, i) => `item-${i}`));
      const b = await bidiStatus;
      assert.equal(b.code, grpc.status.OK, `${b.details}\n${proxy.output}`);
      assert.deepEqual(echoed, ['A', 'B', 'C']);
      // Its last streams done, OLD exits well before its 30 s drain time.
      assert.equal(await waitForExit(report.old_pid, 3000), true, 'the old process exited once its streams ended');
      assert.equal(await waitForExit(second.report.old_pid, 3000), true, `the second process exited once its connection closed\n${proxy.output}`);
      assert.equal(await unary(client, 'later'), 'echo:later');
    } finally {
      client.close();
      await proxy.close();
    }
  });

  test('agent mode: a parent that spawned both proxies with IPC relays the handover (relayUpgrade); wrk load sees no error', { skip: noWrk }, async () => {
    const old = await WeftProcess.start({ upstreamPort: httpPort, drainTimeS: 3, ipc: true });
    try {
      const load = runWrk(old.port, 3);
      await sleep(300);
      const successor = await old.spawnSuccessor(3);
      const oldExited = new Promise<number | null>((resolve) => old.child.once('exit', (code) => resolve(code)));
      const outcome = await relayUpgrade(old.child, successor, { readyTimeoutMs: 20000 });
      assert.equal(outcome.ok, true, JSON.stringify(outcome) + old.output);
      const res = await load;
      assert.equal(res.socketErrors, 0, res.output);
      assert.equal(res.non2xx3xx, 0, res.output);
      assert.ok(res.requests > 100, res.output);
      assert.equal(await oldExited, 0);
      assert.equal(successor.exitCode, null);
      // NEW took over the admin socket too.
      const info = JSON.parse((await request(old.adminPort, '/server_info')).body) as { state: string };
      assert.equal(info.state, 'LIVE');
      assert.equal((await request(old.port, '/after')).status, 200);
      assert.ok((await old.stat('http.edge.downstream_rq_total')) >= res.requests + 1);
    } finally {
      await old.close();
    }
  });

  test('xDS: the new process serves the listener, routes and clusters the old one got over ADS, with the control plane down', async () => {
    preloadAdsProtos();
    const ads = await FakeAdsServer.start();
    let proxy: WeftProcess | undefined;
    try {
      proxy = await WeftProcess.start({
        upstreamPort: httpPort,
        drainTimeS: 2,
        bootstrap: (port, adminPort) => {
          const listener = listenerJson('dynamic', 'r1') as { address: { socket_address: { port_value: number } } };
          listener.address.socket_address.port_value = port;
          ads.set(CDS, '1', [staticClusterJson('backend', httpPort)]);
          ads.set(LDS, '1', [listener]);
          ads.set(RDS, '1', [routeJson('r1', 'backend')]);
          return `${dynamicBootstrap(ads.port, 'GRPC')}admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }\n`;
        },
      });
      for (let i = 0; i < 200 && (await request(proxy.port, '/').catch(() => ({ status: 0 }))).status !== 200; i++) await sleep(25);
      assert.equal((await request(proxy.port, '/before')).status, 200);
      // NEW cannot reach the control plane: only OLD's accepted updates can give it the listener and the route.
      await ads.stop();
      const { status, report } = await proxy.upgrade();
      assert.equal(status, 200, JSON.stringify(report) + proxy.output);
      assert.equal(await waitForExit(report.old_pid, 4000), true, 'the old process exited');
      const res = await request(proxy.port, '/after');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'ok');
      const dump = JSON.parse((await request(proxy.adminPort, '/config_dump')).body) as { configs: Array<Record<string, unknown>> };
      const listeners = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump');
      assert.match(JSON.stringify(listeners), /"name":"dynamic"/);
    } finally {
      await proxy?.close();
      await ads.stop();
    }
  });
});

function unary(client: UpgradeClient, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.unary(msg, (err: grpc.ServiceError | null, v: string) => (err ? reject(err) : resolve(v)));
  });
}
