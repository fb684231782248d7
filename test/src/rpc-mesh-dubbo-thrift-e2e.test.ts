import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createThriftClient, dubboClient, dubboRequestFrame, freePort, java, startDubboProvider, startThriftServer,
  type DubboProvider, type DubboTestClient, type TestThriftClient, type TestThriftServer,
} from '@weft/testing';
import { hessianDecoder } from '@weft/proxy/codec/dubbo/hessian';
import { eventually, startMesh, type MeshFixture } from './mesh-fixture.js';
import { adminStat } from './stats.js';

// Dubbo and Thrift in the mesh: ServiceEntry/WorkloadEntry ports `dubbo` / `thrift` and RpcRoutes in a config
// directory → `weft control-plane` → a weft sidecar (captureMode NONE) → real dubbo2.js / Apache thrift clients and
// providers, routed by method, by colour with fallback, and retried on a per-try timeout.

const DEMO = 'com.weft.demo.DubboGreeter';
const methods = { sayHello: (n: string) => [java.String(n)], special: (n: string) => [java.String(n)], flaky: (n: string) => [java.String(n)] };

function mesh(dubboPort: number, thriftPort: number, d1: number, d2: number, t1: number, t2: number): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: client, namespace: shop }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
  - port: { number: ${dubboPort}, name: dubbo }
    captureMode: NONE
    hosts: [./*]
  - port: { number: ${thriftPort}, name: thrift }
    captureMode: NONE
    hosts: [./*]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [${DEMO}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${dubboPort}, name: dubbo }]
  workloadSelector: { labels: { app: greeter } }
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: greeter-v1, namespace: shop }
spec:
  address: 127.0.0.1
  ports: { dubbo: ${d1} }
  labels: { app: greeter, version: v1 }
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: greeter-v2-blue, namespace: shop }
spec:
  address: 127.0.0.1
  ports: { dubbo: ${d2} }
  labels: { app: greeter, version: v2, colour: blue }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter, namespace: shop }
spec:
  host: ${DEMO}
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: rpc.weft.io/v1alpha1
kind: RpcRoute
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [${DEMO}]
  colouring: { header: x-colour }
  rules:
  - name: special
    match: [{ method: { exact: special } }]
    route: [{ destination: { host: ${DEMO}, subset: v2 } }]
  - name: flaky
    match: [{ method: { exact: flaky } }]
    route: [{ destination: { host: ${DEMO}, subset: v1 } }]
    timeout: 3s
    retries: { attempts: 1, perTryTimeout: 200ms, idempotent: true }
---
# A Thrift multiplexed service: the short host is the TMultiplexedProtocol service name.
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: calc, namespace: shop }
spec:
  hosts: [Calc]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${thriftPort}, name: thrift }]
  endpoints:
  - { address: 127.0.0.1, ports: { thrift: ${t1} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { thrift: ${t2} }, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: calc, namespace: shop }
spec:
  host: Calc
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: rpc.weft.io/v1alpha1
kind: RpcRoute
metadata: { name: calc, namespace: shop }
spec:
  hosts: [Calc]
  rules:
  - name: add-v2
    match: [{ method: { exact: add } }]
    route: [{ destination: { host: Calc, subset: v2 } }]
  - name: rest
    route: [{ destination: { host: Calc, subset: v1 } }]
`;
}

/** A raw Dubbo call to sayHello carrying (or not) the colour attachment: the answer's value, or what went wrong. */
async function colouredCall(port: number, colour: string | undefined): Promise<string> {
  const frame = dubboRequestFrame({ id: 9, service: DEMO, method: 'sayHello', args: [['Ljava/lang/String;', 'ann']], ...(colour ? { attachments: { 'x-colour': colour } } : {}) });
  const socket = net.connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.write(frame);
    let buf = Buffer.alloc(0);
    while (buf.length < 16 || buf.length < 16 + buf.readUInt32BE(12)) {
      const [chunk] = (await Promise.race([once(socket, 'data'), once(socket, 'close')])) as [Buffer | undefined];
      if (!chunk || !Buffer.isBuffer(chunk)) return 'closed';
      buf = Buffer.concat([buf, chunk]);
    }
    if (buf[3] !== 20) return `status ${String(buf[3])}`;
    const d = hessianDecoder(buf.subarray(16, 16 + buf.readUInt32BE(12)));
    d.read(); // RESPONSE_VALUE
    return String(d.read());
  } catch (e) {
    return `error: ${(e as Error).message}`;
  } finally {
    socket.destroy();
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('Dubbo and Thrift through the control plane: RpcRoute → weft sidecar → real peers', () => {
  let dir: string;
  let d1: DubboProvider;
  let d2: DubboProvider;
  let t1: TestThriftServer;
  let t2: TestThriftServer;
  let fixture: MeshFixture;
  let dubboPort: number;
  let thriftPort: number;
  let flakyCalls = 0;
  const timers = new Set<NodeJS.Timeout>();
  const dubboClients: DubboTestClient[] = [];
  const thriftClients: TestThriftClient[] = [];

  before(async () => {
    const impl = (tag: string) => ({
      [DEMO]: {
        sayHello: (args: unknown[]) => `${tag}:hello ${String(args[0])}`,
        special: () => `${tag}:special`,
        // The first call hangs past the per-try timeout; the retry is answered at once.
        flaky: () =>
          ++flakyCalls === 1
            ? new Promise((resolve) => {
                const t = setTimeout(() => resolve(`${tag}:late`), 600);
                timers.add(t);
              })
            : `${tag}:flaky ${flakyCalls}`,
      },
    });
    d1 = await startDubboProvider({ services: impl('v1') });
    d2 = await startDubboProvider({ services: impl('v2') });
    const thrift = { transport: 'framed', protocol: 'binary', multiplexed: true } as const;
    t1 = await startThriftServer({ ...thrift, handlers: { add: (a, b) => a + b } });
    t2 = await startThriftServer({ ...thrift, handlers: { add: (a, b) => 1000 + a + b } });
    dubboPort = await freePort();
    thriftPort = await freePort();
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rpc-mesh-dt-'));
    writeFileSync(path.join(dir, 'mesh.yaml'), mesh(dubboPort, thriftPort, d1.port, d2.port, t1.port, t2.port));
    fixture = await startMesh(dir);
    await eventually(async () => (await accepts(dubboPort)) && (await accepts(thriftPort)));
  });

  after(async () => {
    for (const t of timers) clearTimeout(t);
    for (const c of dubboClients) c.close();
    for (const c of thriftClients) await c.close();
    await fixture?.close();
    await d1?.close();
    await d2?.close();
    await t1?.close();
    await t2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function dubbo(): ReturnType<DubboTestClient['service']> {
    const client = dubboClient(dubboPort, { timeoutSec: 3 });
    dubboClients.push(client);
    return client.service({ dubboInterface: DEMO, version: '1.0.0', methods });
  }

  test('Dubbo: the sidecar routes by method (special to v2) and the rest to the uncoloured baseline (v1)', async () => {
    const svc = dubbo();
    await eventually(async () => (await svc.special!('ann')).res === 'v2:special');
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await svc.special!('ann'), { res: 'v2:special', err: null });
      assert.deepEqual(await svc.sayHello!('ann'), { res: 'v1:hello ann', err: null });
    }
  });

  test('Dubbo: coloured calls go to the host of their colour, others and unknown colours to the baseline', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(await colouredCall(dubboPort, 'blue'), 'v2:hello ann');
      assert.equal(await colouredCall(dubboPort, undefined), 'v1:hello ann');
      assert.equal(await colouredCall(dubboPort, 'green'), 'v1:hello ann');
    }
    // The colour travels with the call as an attachment.
    assert.equal(d2.calls.at(-1)?.attachments['x-colour'], 'blue');
  });

  test('Dubbo: an attempt past the RpcRoute perTryTimeout is retried and the retry answers', async () => {
    const svc = dubbo();
    const cluster = `cluster.outbound|${dubboPort}|v1|${DEMO}`;
    const started = Date.now();
    assert.deepEqual(await svc.flaky!('ann'), { res: 'v1:flaky 2', err: null });
    const took = Date.now() - started;
    assert.ok(took >= 200 && took < 600, `took ${took} ms`);
    assert.equal(flakyCalls, 2);
    assert.equal(await adminStat(fixture.proxy.adminPort, `${cluster}.upstream_rq_per_try_timeout`), 1);
    assert.equal(await adminStat(fixture.proxy.adminPort, `${cluster}.upstream_rq_retry`), 1);
  });

  test('Thrift (framed binary, multiplexed): routed by method of the Calc service', async () => {
    const c = await createThriftClient(thriftPort, { transport: 'framed', protocol: 'binary', multiplexed: true });
    thriftClients.push(c);
    for (let i = 0; i < 4; i++) {
      assert.equal(await c.calc.add(1, 2), 1003);
      assert.equal(await c.calc.echo('x', {}, [], 0, 0, 0, 0, false), 'x');
    }
    assert.deepEqual(t2.calls.map((x) => x.method), ['add', 'add', 'add', 'add']);
    assert.deepEqual(t1.calls.map((x) => x.method), ['echo', 'echo', 'echo', 'echo']);
    // Greeter is not a service of the mesh: the sidecar has no route for it and answers with a TApplicationException.
    await assert.rejects(c.greeter.hello('ann'), /no route/);
  });
});
