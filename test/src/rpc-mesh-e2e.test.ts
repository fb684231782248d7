import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSofaConsumer, freePort, startSofaServer, type SofaConsumer, type SofaServer } from '@weft/testing';
import { boltCodec, type BoltFrame } from '@weft/proxy/codec/bolt/index';
import { peerDecode, peerRequest } from '@weft/proxy/codec/bolt/test-peer';
import type { RpcFrame } from '@weft/proxy/interfaces/rpc-codec';
import { eventually, startMesh, type MeshFixture } from './mesh-fixture.js';
import { adminStat } from './stats.js';

// RPC in the mesh: an RpcRoute in a config directory → control plane → a weft sidecar (captureMode NONE) whose
// Bolt egress port routes real sofa-rpc-node calls to SOFA servers labelled v1 / v2.

const INTERFACE = 'com.weft.demo.Greeter';

function mesh(egressPort: number, v1: number, v2: number): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: client, namespace: shop }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
  - port: { number: ${egressPort}, name: bolt-greeter }
    captureMode: NONE
    hosts: [./*]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [${INTERFACE}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: bolt, protocol: BOLT }]
  endpoints:
  - { address: 127.0.0.1, ports: { bolt: ${v1} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { bolt: ${v2} }, labels: { version: v2, colour: blue } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter, namespace: shop }
spec:
  host: ${INTERFACE}
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;
}

/** `special` calls to one subset, every other call to another (or, without a subset, to every host by colour). */
function rpcRoute(specialSubset: string, otherSubset: string | undefined): string {
  const other = otherSubset ? `{ host: ${INTERFACE}, subset: ${otherSubset} }` : `{ host: ${INTERFACE} }`;
  return `apiVersion: rpc.weft.io/v1alpha1
kind: RpcRoute
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [${INTERFACE}]
  colouring: { header: x-colour, label: colour }
  rules:
  - name: special
    match: [{ method: { exact: special } }]
    route: [{ destination: { host: ${INTERFACE}, subset: ${specialSubset} } }]
    timeout: 2s
  - name: rest
    route: [{ destination: ${other} }]
`;
}

/**
 * sofa-rpc-node's Hessian requests carry only `service` in the Bolt header map: a coloured call is a real
 * sofa-bolt-node request frame with the colour added to its header map by the Bolt codec, sent on a raw connection.
 */
async function colouredCall(port: number, colour: string | undefined): Promise<string> {
  const codec = boltCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 });
  const decoded: RpcFrame[] = [];
  codec.decode(peerRequest(7, {}, { serverSignature: `${INTERFACE}:1.0`, methodName: 'hello', args: ['ann'] }), decoded);
  const req = decoded[0] as BoltFrame;
  const bytes = colour ? codec.rewriteRequest(req, { requestId: 7, setHeaders: new Map([['x-colour', colour]]) }) : codec.rewriteRequest(req, { requestId: 7 });
  const socket = net.connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.write(bytes);
    const frames: RpcFrame[] = [];
    while (frames.length === 0) {
      const [chunk] = (await Promise.race([once(socket, 'data'), once(socket, 'close')])) as [Buffer | undefined];
      if (!chunk || !Buffer.isBuffer(chunk)) return 'closed';
      codec.decode(chunk, frames);
    }
    const res = frames[0] as BoltFrame;
    return String(peerDecode(res.bytes).data?.appResponse ?? `status ${res.status}`);
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

describe('RPC mesh end to end: RpcRoute → control plane → weft sidecar → real SOFA servers', () => {
  let dir: string;
  let v1: SofaServer;
  let v2: SofaServer;
  let fixture: MeshFixture;
  let egressPort: number;
  const consumers: SofaConsumer[] = [];

  before(async () => {
    const methods = (tag: string) => ({ hello: (n: unknown) => `${tag}:hello ${String(n)}`, special: () => `${tag}:special` });
    v1 = await startSofaServer({ interfaceName: INTERFACE, methods: methods('v1') });
    v2 = await startSofaServer({ interfaceName: INTERFACE, methods: methods('v2') });
    egressPort = await freePort();
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rpc-mesh-'));
    writeFileSync(path.join(dir, 'mesh.yaml'), mesh(egressPort, v1.port, v2.port));
    writeFileSync(path.join(dir, 'routes.yaml'), rpcRoute('v2', 'v1'));
    fixture = await startMesh(dir);
  });

  after(async () => {
    for (const c of consumers) await c.close();
    await fixture?.close();
    await v1?.close();
    await v2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function consumer(): Promise<SofaConsumer> {
    const c = await createSofaConsumer(egressPort, { interfaceName: INTERFACE });
    consumers.push(c);
    return c;
  }

  const call = async (c: SofaConsumer, method: string): Promise<string> => {
    try {
      return String(await c.invoke(method, ['ann'], { responseTimeout: 1000 }));
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };

  test('the sidecar routes by method: special to the v2 subset, the rest to v1', async () => {
    // A sofa-rpc-node consumer created before the listener exists never reconnects: wait for the port first.
    await eventually(() => accepts(egressPort));
    const c = await consumer();
    await eventually(async () => (await call(c, 'special')) === 'v2:special');
    for (let i = 0; i < 4; i++) {
      assert.equal(await call(c, 'special'), 'v2:special');
      assert.equal(await call(c, 'hello'), 'v1:hello ann');
    }
  });

  test('editing the RpcRoute moves the calls live', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), rpcRoute('v1', 'v2'));
    const c = await consumer();
    await eventually(async () => (await call(c, 'special')) === 'v1:special');
    for (let i = 0; i < 4; i++) {
      assert.equal(await call(c, 'special'), 'v1:special');
      assert.equal(await call(c, 'hello'), 'v2:hello ann');
    }
  });

  test('an RpcRoute change reaches open connections over RDS: the next call follows it, no call fails, no listener change', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), rpcRoute('v2', 'v1'));
    const c = await consumer();
    await eventually(async () => (await call(c, 'special')) === 'v2:special');
    const admin = fixture.proxy.adminPort;
    const prefix = `rpc.outbound_127.0.0.1_${egressPort}`;
    const cxBefore = await adminStat(admin, `${prefix}.downstream_cx_total`);
    const modifiedBefore = await adminStat(admin, 'listener_manager.listener_modified');
    const reloadsBefore = await adminStat(admin, `${prefix}.rds.127.0.0.1:${egressPort}.config_reload`);
    // One consumer (one connection) calls back to back while the route changes under it.
    const results: string[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) results.push(await call(c, 'special'));
    })();
    writeFileSync(path.join(dir, 'routes.yaml'), rpcRoute('v1', 'v2'));
    await eventually(async () => results.at(-1) === 'v1:special');
    const switched = results.length;
    await eventually(async () => results.length >= switched + 5);
    stop = true;
    await loop;
    assert.deepEqual(results.filter((r) => r !== 'v1:special' && r !== 'v2:special'), []);
    const first = results.indexOf('v1:special');
    assert.ok(first > 0, 'calls went to v2 before the change');
    assert.deepEqual(new Set(results.slice(first)), new Set(['v1:special']));
    assert.equal(await call(c, 'hello'), 'v2:hello ann');
    assert.equal(await adminStat(admin, `${prefix}.downstream_cx_total`), cxBefore);
    assert.equal(await adminStat(admin, `${prefix}.downstream_cx_drain_close`), 0);
    assert.equal(await adminStat(admin, 'listener_manager.listener_modified'), modifiedBefore);
    assert.equal(await adminStat(admin, `${prefix}.rds.127.0.0.1:${egressPort}.config_reload`), reloadsBefore + 1);
  });

  test('coloured calls go to hosts of their colour, others (and unknown colours) to the baseline', async () => {
    writeFileSync(path.join(dir, 'routes.yaml'), rpcRoute('v1', undefined));
    await eventually(async () => (await colouredCall(egressPort, undefined)) === 'v1:hello ann' && (await colouredCall(egressPort, 'blue')) === 'v2:hello ann');
    for (let i = 0; i < 4; i++) {
      assert.equal(await colouredCall(egressPort, 'blue'), 'v2:hello ann');
      assert.equal(await colouredCall(egressPort, undefined), 'v1:hello ann');
      assert.equal(await colouredCall(egressPort, 'green'), 'v1:hello ann');
    }
    // The colour travels with the call to the upstream.
    assert.equal(v2.frames.at(-1)?.headers.get('x-colour'), 'blue');
    // Every RpcRoute edit of this suite went over RDS: the sidecar's listener never changed.
    assert.equal(await adminStat(fixture.proxy.adminPort, 'listener_manager.listener_modified'), 0);
  });
});
