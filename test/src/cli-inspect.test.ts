import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { freePort } from '@weft/testing';
import { CLIENT_PROXY_ID, eventually, reviewsMesh, startMesh, type MeshFixture } from './mesh-fixture.js';
import { runWeft } from './weft-cli.js';

const PROXY_ID = CLIENT_PROXY_ID;

describe('weft proxy-status / proxy-config against a running control plane and proxy', () => {
  let dir: string;
  let mesh: MeshFixture;
  let egressPort: number;
  let cpAddr: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-inspect-'));
    egressPort = await freePort();
    writeFileSync(
      path.join(dir, 'mesh.yaml'),
      `${reviewsMesh(
        egressPort,
        `  - { address: 127.0.0.2, ports: { http: 9081 }, labels: { version: v1 }, locality: eu/z1 }
  - { address: 127.0.0.3, ports: { http: 9082 }, labels: { version: v2 }, weight: 3 }`,
      )}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
  - match: [{ uri: { prefix: /v2 } }]
    route: [{ destination: { host: reviews.shop.svc.cluster.local, subset: v2 } }]
  - route: [{ destination: { host: reviews.shop.svc.cluster.local, subset: v1 } }]
`,
    );
    mesh = await startMesh(dir);
    cpAddr = `127.0.0.1:${mesh.cp.httpPort}`;
    // every type the proxy subscribes to is ACKed
    await eventually(async () => {
      const r = await runWeft(['proxy-status', '--control-plane', cpAddr, '-o', 'json']);
      const p = (JSON.parse(r.stdout) as { proxies: Record<string, { status: string }>[] }).proxies[0];
      return p !== undefined && ['CDS', 'LDS', 'EDS', 'RDS'].every((t) => p[t]?.status === 'SYNCED');
    });
  });

  after(async () => {
    await mesh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('proxy-status: a table row per proxy, every type SYNCED', async () => {
    const r = await runWeft(['proxy-status', '--control-plane', cpAddr]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^NAME\s+CDS\s+LDS\s+EDS\s+RDS\s+XDS\s+VERSION$/);
    assert.match(lines[1] ?? '', new RegExp(`^${PROXY_ID.replace(/\./g, '\\.')}\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+DELTA\\s+\\S+$`));
  });

  test('proxy-status -o yaml parses to the same statuses', async () => {
    const r = await runWeft(['proxy-status', '--control-plane', cpAddr, '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout) as { proxies: { proxy: string; variant: string; CDS: { status: string; version: string; ackedVersion: string } }[] };
    assert.equal(doc.proxies.length, 1);
    assert.equal(doc.proxies[0]?.proxy, PROXY_ID);
    assert.equal(doc.proxies[0]?.variant, 'delta');
    assert.equal(doc.proxies[0]?.CDS.status, 'SYNCED');
    assert.equal(doc.proxies[0]?.CDS.version, doc.proxies[0]?.CDS.ackedVersion);
  });

  test('proxy-status: unreachable control plane → exit 1 with a clear error', async () => {
    const port = await freePort();
    const r = await runWeft(['proxy-status', '--control-plane', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^weft proxy-status: cannot reach the control plane at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  test('proxy-status: bad -o → exit 2', async () => {
    const r = await runWeft(['proxy-status', '-o', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-o must be one of table, json, yaml/);
  });

  const table = async (kind: string): Promise<string[]> => {
    const r = await runWeft(['proxy-config', kind, PROXY_ID, '--control-plane', cpAddr]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split('\n').map((l) => l.replace(/ {3,}/g, ' | '));
  };
  const cluster = (subset: string): string => `outbound|${egressPort}|${subset}|reviews.shop.svc.cluster.local`;

  test('proxy-config listeners: name, address, port', async () => {
    assert.deepEqual(await table('listeners'), ['NAME | ADDRESS | PORT | CHAINS', `127.0.0.1_${egressPort} | 127.0.0.1 | ${egressPort} | 1`]);
  });

  test('proxy-config routes: one row per route, match → destination in order', async () => {
    const vh = `reviews.shop.svc.cluster.local:${egressPort}`;
    assert.deepEqual(await table('routes'), [
      'NAME | VIRTUAL HOST | DOMAINS | MATCH | DESTINATION',
      `127.0.0.1:${egressPort} | ${vh} | reviews.shop.svc.cluster.local +7 more | prefix /v2 | ${cluster('v2')}`,
      `127.0.0.1:${egressPort} | ${vh} | reviews.shop.svc.cluster.local +7 more | prefix / | ${cluster('v1')}`,
    ]);
  });

  test('proxy-config clusters: name, type, LB policy', async () => {
    assert.deepEqual(await table('clusters'), [
      'NAME | TYPE | LB POLICY',
      `${cluster('')} | EDS | LEAST_REQUEST`,
      `${cluster('v1')} | EDS | LEAST_REQUEST`,
      `${cluster('v2')} | EDS | LEAST_REQUEST`,
    ]);
  });

  test('proxy-config endpoints: cluster, address:port, locality, weight', async () => {
    assert.deepEqual(await table('endpoints'), [
      'CLUSTER | ENDPOINT | LOCALITY | WEIGHT | HEALTH',
      `${cluster('')} | 127.0.0.2:9081 | eu/z1 | 1 | UNKNOWN`,
      `${cluster('')} | 127.0.0.3:9082 | 3 | UNKNOWN`,
      `${cluster('v1')} | 127.0.0.2:9081 | eu/z1 | 1 | UNKNOWN`,
      `${cluster('v2')} | 127.0.0.3:9082 | 3 | UNKNOWN`,
    ]);
  });

  test('proxy-config -o json / -o yaml: the raw resources', async () => {
    const j = await runWeft(['proxy-config', 'clusters', PROXY_ID, '--control-plane', cpAddr, '-o', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const clusters = JSON.parse(j.stdout) as { '@type': string; name: string; type: string; lb_policy: string }[];
    assert.deepEqual(clusters.map((c) => [c['@type'], c.name, c.type, c.lb_policy]), ['', 'v1', 'v2'].map((s) => ['type.googleapis.com/envoy.config.cluster.v3.Cluster', cluster(s), 'EDS', 'LEAST_REQUEST']));
    const y = await runWeft(['proxy-config', 'listeners', PROXY_ID, '--control-plane', cpAddr, '-o', 'yaml']);
    assert.equal(y.code, 0, y.stderr);
    const listeners = parse(y.stdout) as { name: string; address: { socket_address: { port_value: number } } }[];
    assert.deepEqual(listeners.map((l) => [l.name, l.address.socket_address.port_value]), [[`127.0.0.1_${egressPort}`, egressPort]]);
  });

  test('proxy-config: unknown proxy → exit 1; bad kind → exit 2', async () => {
    const r = await runWeft(['proxy-config', 'clusters', 'nope', '--control-plane', cpAddr]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `weft proxy-config: proxy 'nope' is not connected to the control plane at ${cpAddr} (see weft proxy-status)\n`);
    const bad = await runWeft(['proxy-config', 'secrets', PROXY_ID]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected listeners\|routes\|clusters\|endpoints and one proxy id/);
  });
});
