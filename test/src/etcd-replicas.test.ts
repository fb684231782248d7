import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CLUSTER_TYPE,
  EtcdSource,
  IstioSnapshotProvider,
  LISTENER_TYPE,
  startControlPlane,
  startIstioSource,
  type RunningControlPlane,
  type RunningIstioSource,
} from '@weft/control-plane';
import { RawAdsClient, type Decoded } from '@weft/control-plane/xds/ads-test-client';
import { freePort, request, startEtcd, startProxyFromYaml, startUpstream, type TestEtcd, type TestProxy, type TestUpstream } from '@weft/testing';
import { Etcd3 } from 'etcd3';
import { CLIENT_PROXY_ID, eventually, reviewsMesh } from './mesh-fixture.js';

const PREFIX = '/weft/config/';

function virtualService(subset: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
  - route: [{ destination: { host: reviews.shop.svc.cluster.local, subset: ${subset} } }]
`;
}

interface Replica {
  readonly source: RunningIstioSource;
  readonly cp: RunningControlPlane;
  close(): Promise<void>;
}

async function startReplica(endpoints: readonly string[]): Promise<Replica> {
  const provider = new IstioSnapshotProvider();
  const source = await startIstioSource((hooks) => new EtcdSource({ endpoints, prefix: PREFIX, ...hooks, backoff: { initialMs: 50, maxMs: 200 } }), provider);
  const cp = await startControlPlane({
    provider,
    xdsAddress: '127.0.0.1:0',
    httpAddress: '127.0.0.1:0',
    debounceMs: 10,
    debug: { configIssues: () => source.issues(), configSource: () => source.status() },
  });
  let closed = false;
  return {
    source,
    cp,
    async close() {
      if (closed) return;
      closed = true;
      await cp.close();
      source.close();
    },
  };
}

/** The client sidecar's node, metadata as a protobuf Struct. */
const NODE = {
  id: CLIENT_PROXY_ID,
  cluster: 'client.shop',
  metadata: {
    fields: {
      NAMESPACE: { stringValue: 'shop' },
      WORKLOAD_NAME: { stringValue: 'client-1' },
      LABELS: { structValue: { fields: { app: { stringValue: 'client' } } } },
    },
  },
};

type DeltaResource = { name: string; version: string; resource: Record<string, unknown> };

/** Subscribes (wildcard) to one type on a fresh stream and returns the first response. */
async function fetchType(port: number, variant: 'sotw' | 'delta', typeUrl: string, initial?: Record<string, string>): Promise<Decoded> {
  const c = new RawAdsClient(port, variant);
  try {
    c.send(variant === 'sotw' ? { node: NODE, type_url: typeUrl } : { node: NODE, type_url: typeUrl, ...(initial ? { initial_resource_versions: initial } : {}) });
    return await c.next(5000);
  } finally {
    c.close();
  }
}

function deltaVersions(res: Decoded): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of res['resources'] as DeltaResource[]) out[r.name] = r.version;
  return out;
}

type Configz = { source: { revision: string; state: string; digest: string }; issues: unknown[] };

async function configz(cp: RunningControlPlane): Promise<Configz> {
  return JSON.parse((await request(cp.httpPort, '/debug/configz')).body) as Configz;
}

function connectedProxies(cp: RunningControlPlane): string[] {
  return cp.ads.syncz().map((s) => s.proxy);
}

describe('two control-plane replicas on one etcd', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let egressPort: number;
  let a: Replica;
  let b: Replica;
  let proxy: TestProxy | undefined;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: [...etcd.endpoints] });
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    egressPort = await freePort();
    await client.put(`${PREFIX}shop/mesh.yaml`).value(
      reviewsMesh(
        egressPort,
        `  - { address: 127.0.0.1, ports: { http: ${v1.port} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { http: ${v2.port} }, labels: { version: v2 } }`,
      ),
    );
    // Different histories (a sees two updates, b one): versions must not depend on them.
    a = await startReplica(etcd.endpoints);
    const written = await client.put(`${PREFIX}shop/routes.yaml`).value(virtualService('v1'));
    await eventually(async () => (await configz(a.cp)).source.revision === written.header.revision);
    b = await startReplica(etcd.endpoints);
  });

  after(async () => {
    await proxy?.close();
    await a?.close();
    await b?.close();
    client?.close();
    await etcd?.stop();
    await v1?.close();
    await v2?.close();
  });

  test('both replicas serve identical resources and versions (SotW version_info, Delta per-resource versions) and show the same etcd revision', async () => {
    const [za, zb] = [await configz(a.cp), await configz(b.cp)];
    assert.equal(za.source.revision, zb.source.revision);
    assert.equal(za.source.digest, zb.source.digest);
    assert.equal(za.source.state, 'watching');
    assert.deepEqual(za.issues, []);
    for (const typeUrl of [LISTENER_TYPE, CLUSTER_TYPE]) {
      const [sa, sb] = [await fetchType(a.cp.xdsPort, 'sotw', typeUrl), await fetchType(b.cp.xdsPort, 'sotw', typeUrl)];
      assert.ok((sa['resources'] as unknown[]).length > 0);
      assert.deepEqual(sa['resources'], sb['resources']);
      assert.match(String(sa['version_info']), /^\d+-[0-9a-f]{32}$/);
      assert.equal(sa['version_info'], sb['version_info']);
      const [da, db] = [await fetchType(a.cp.xdsPort, 'delta', typeUrl), await fetchType(b.cp.xdsPort, 'delta', typeUrl)];
      assert.deepEqual(deltaVersions(da), deltaVersions(db));
      assert.equal(da['system_version_info'], sa['version_info']);
      assert.equal(db['system_version_info'], sb['version_info']);
      // A Delta client moving from a to b with what it holds gets nothing resent.
      const moved = await fetchType(b.cp.xdsPort, 'delta', typeUrl, deltaVersions(da));
      assert.deepEqual(moved['resources'], []);
      assert.deepEqual(moved['removed_resources'], []);
    }
  });

  test('a write to etcd reaches both replicas, which then agree again', async () => {
    const before = (await fetchType(a.cp.xdsPort, 'sotw', CLUSTER_TYPE))['version_info'];
    const written = await client.put(`${PREFIX}shop/mesh.yaml`).value(
      reviewsMesh(
        egressPort,
        `  - { address: 127.0.0.1, ports: { http: ${v1.port} }, labels: { version: v1 } }
  - { address: 127.0.0.1, ports: { http: ${v2.port} }, labels: { version: v2 } }
  - { address: 127.0.0.2, ports: { http: ${v2.port} }, labels: { version: v3 } }`,
      ).replace('  - { name: v2, labels: { version: v2 } }', '  - { name: v2, labels: { version: v2 } }\n  - { name: v3, labels: { version: v3 } }'),
    );
    const revision = written.header.revision;
    await eventually(async () => (await configz(a.cp)).source.revision === revision && (await configz(b.cp)).source.revision === revision);
    assert.equal((await configz(a.cp)).source.digest, (await configz(b.cp)).source.digest);
    const [sa, sb] = [await fetchType(a.cp.xdsPort, 'sotw', CLUSTER_TYPE), await fetchType(b.cp.xdsPort, 'sotw', CLUSTER_TYPE)];
    assert.notEqual(sa['version_info'], before, 'the new subset is a new cluster');
    assert.equal(sa['version_info'], sb['version_info']);
    assert.deepEqual(sa['resources'], sb['resources']);
    assert.ok((sa['resources'] as { name: string }[]).some((r) => r.name.includes('|v3|')));
  });

  test('a weft proxy whose xDS cluster lists both replicas routes per the etcd config and keeps routing when its replica stops and it moves to the other', async () => {
    const [pa, pb] = [a.cp.xdsPort, b.cp.xdsPort];
    proxy = await startProxyFromYaml(`
node:
  id: ${CLIENT_PROXY_ID}
  cluster: client.shop
  metadata: { NAMESPACE: shop, WORKLOAD_NAME: client-1, LABELS: { app: client } }
dynamic_resources:
  ads_config:
    api_type: DELTA_GRPC
    transport_api_version: V3
    grpc_services: [{ envoy_grpc: { cluster_name: xds-replicas } }]
  cds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 3s }
  lds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 3s }
static_resources:
  clusters:
  - name: xds-replicas
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: xds-replicas
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${pa} } } }
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${pb} } } }
`);
    const via = async (): Promise<string | undefined> => {
      try {
        const res = await request(egressPort, '/reviews', { headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } });
        return res.status === 200 ? String(res.headers['x-upstream']) : `status ${res.status}`;
      } catch {
        return undefined;
      }
    };
    await eventually(async () => (await via()) === 'v1');
    assert.deepEqual(connectedProxies(a.cp), [CLIENT_PROXY_ID], 'pick_first: the first replica');
    assert.deepEqual(connectedProxies(b.cp), []);

    await client.put(`${PREFIX}shop/routes.yaml`).value(virtualService('v2'));
    await eventually(async () => (await via()) === 'v2');

    // Replica a goes away: traffic keeps flowing on the config the proxy holds, and it reconnects to b.
    await a.close();
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v2');
    await eventually(async () => connectedProxies(b.cp).includes(CLIENT_PROXY_ID));
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v2');

    // Config written to etcd now reaches the proxy through b.
    await client.put(`${PREFIX}shop/routes.yaml`).value(virtualService('v1'));
    await eventually(async () => (await via()) === 'v1');
    for (let i = 0; i < 5; i++) assert.equal(await via(), 'v1');
  });
});
