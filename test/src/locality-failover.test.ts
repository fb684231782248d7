import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { CLIENT_NODE, clientSidecar, eventually, startMesh, type MeshFixture } from './mesh-fixture.js';

/** A client sidecar in r1/z1; `reviews` has two endpoints there and one in r2; `ratings` one in each region. */
function mesh(egressPort: number, ports: Record<string, number>): string {
  return `${clientSidecar(egressPort)}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: http, protocol: HTTP }]
  endpoints:
  - { address: 127.0.0.1, ports: { http: ${ports.local1} }, locality: r1/z1 }
  - { address: 127.0.0.1, ports: { http: ${ports.local2} }, locality: r1/z1 }
  - { address: 127.0.0.1, ports: { http: ${ports.remote} }, locality: r2/z9 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews.shop.svc.cluster.local
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
    outlierDetection: { consecutive5xxErrors: 1, interval: 100ms, baseEjectionTime: 500ms, maxEjectionPercent: 100 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
  - route: [{ destination: { host: reviews.shop.svc.cluster.local } }]
    retries: { attempts: 0 }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ratings, namespace: shop }
spec:
  hosts: [ratings.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: http, protocol: HTTP }]
  endpoints:
  - { address: 127.0.0.1, ports: { http: ${ports.local1} }, locality: r1/z1 }
  - { address: 127.0.0.1, ports: { http: ${ports.remote} }, locality: r2/z9 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings, namespace: shop }
spec:
  host: ratings.shop.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        distribute: [{ from: r1/z1/*, to: { r1/z1/*: 90, r2/*: 10 } }]
`;
}

describe('locality load balancing end to end: control plane → weft proxy in r1/z1 → upstreams in two regions', () => {
  let dir: string;
  let fixture: MeshFixture;
  let egressPort: number;
  const ups: TestUpstream[] = [];
  let localFails = false;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-locality-'));
    const local = (name: string) =>
      startUpstream(name, (_req, res) => {
        res.writeHead(localFails ? 503 : 200, { 'x-upstream': name, 'content-length': '0' });
        res.end();
      });
    const [local1, local2, remote] = await Promise.all([local('local1'), local('local2'), startUpstream('remote')]);
    ups.push(local1, local2, remote);
    egressPort = await freePort();
    writeFileSync(path.join(dir, 'mesh.yaml'), mesh(egressPort, { local1: local1.port, local2: local2.port, remote: remote.port }));
    fixture = await startMesh(dir, `${CLIENT_NODE}\n  locality: { region: r1, zone: z1 }`);
  });

  after(async () => {
    await fixture?.close();
    await Promise.all(ups.map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** `upstream status` of one request to `service` through the egress listener. */
  const call = async (service: string): Promise<string> => {
    const res = await request(egressPort, '/', { headers: { host: `${service}.shop.svc.cluster.local:${egressPort}` } });
    return `${String(res.headers['x-upstream'] ?? '-')} ${res.status}`;
  };
  const tally = async (service: string, n: number): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const k = await call(service);
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };

  test('traffic stays in the proxy zone while its endpoints are healthy', async () => {
    await eventually(async () => {
      try {
        return (await call('reviews')).endsWith(' 200');
      } catch {
        return false;
      }
    });
    assert.deepEqual(await tally('reviews', 20), { 'local1 200': 10, 'local2 200': 10 });
  });

  test('fails over to the other region once outlier detection ejects the local endpoints, and comes back', async () => {
    localFails = true;
    try {
      // Each local endpoint answers one 503 and is ejected (consecutive5xxErrors: 1). With one of the two ejected,
      // priority 0 is 50% healthy and already spills 30% to priority 1 (overprovisioning 1.4), so a request may
      // land in r2 before the second local endpoint has failed.
      const failed = new Set<string>();
      for (let i = 0; i < 50 && failed.size < 2; i++) {
        const r = await call('reviews');
        if (r.endsWith(' 503')) failed.add(r);
        else assert.equal(r, 'remote 200');
      }
      assert.deepEqual([...failed].sort(), ['local1 503', 'local2 503']);
      assert.deepEqual(await tally('reviews', 20), { 'remote 200': 20 });
    } finally {
      localFails = false;
    }
    // Ejection ends after baseEjectionTime (500ms) at the next interval tick: back to the local zone.
    await eventually(async () => {
      const t = await tally('reviews', 4);
      return t['local1 200'] === 2 && t['local2 200'] === 2;
    }, 5000);
    assert.deepEqual(await tally('reviews', 20), { 'local1 200': 10, 'local2 200': 10 });
  });

  test('distribute splits traffic 90/10 between the regions (not the 50/50 of the endpoint weights)', async () => {
    const t = await tally('ratings', 400);
    const local = t['local1 200'] ?? 0;
    const remote = t['remote 200'] ?? 0;
    assert.equal(local + remote, 400, JSON.stringify(t));
    // Locality picks are weighted round robin (EDF): 360/40 give or take a few; 50/50 would be 200/200.
    assert.ok(local >= 340 && local <= 380, JSON.stringify(t));
  });
});
