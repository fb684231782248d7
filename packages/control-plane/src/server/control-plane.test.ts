import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregateConfigError } from '@weft/api';
import { RawAdsClient } from '../xds/ads-test-client.js';
import { StaticSnapshotProvider } from '../xds/static-snapshot-provider.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../xds/type-urls.js';
import { startControlPlane } from './control-plane.js';
import { parseSnapshotText } from './snapshot-file.js';

const SNAPSHOT = `
listeners:
- name: http
  address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: http
        rds: { route_config_name: local, config_source: { ads: {} } }
        http_filters:
        - name: envoy.filters.http.router
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
routes:
- name: local
  virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: web } }] }]
clusters:
- name: web
  type: EDS
  connect_timeout: 0.5s
  eds_cluster_config: { eds_config: { ads: {} } }
endpoints:
- cluster_name: web
  endpoints:
  - lb_endpoints:
    - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9001 } } }
`;

describe('snapshot file', () => {
  it('reads listeners, routes, clusters and endpoints into resources with stable content versions', () => {
    const resources = parseSnapshotText(SNAPSHOT, 'snap.yaml');
    assert.deepEqual(
      resources.map((r) => [r.typeUrl, r.name]),
      [
        [LISTENER_TYPE, 'http'],
        [ROUTE_TYPE, 'local'],
        [CLUSTER_TYPE, 'web'],
        [ENDPOINT_TYPE, 'web'],
      ],
    );
    assert.equal(parseSnapshotText(SNAPSHOT, 'snap.yaml')[2]?.version, resources[2]?.version, 'content versions are stable');
  });

  it('refuses unknown fields, unknown sections and duplicate names, naming file and field paths', () => {
    const bad = `clusters:\n- { name: a, conect_timeout: 1s }\n- { name: b }\n- { name: b }\nsecretz: []\n`;
    assert.throws(
      () => parseSnapshotText(bad, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof AggregateConfigError);
        const messages = e.errors.map((x) => `${x.path}: ${x.reason}`);
        assert.equal(messages.length, 3);
        assert.match(messages[0] ?? '', /^clusters\[0\]\.conect_timeout: /);
        assert.equal(messages[1], "clusters[2]: duplicate resource name 'b'");
        assert.match(messages[2] ?? '', /^secretz: unknown section/);
        assert.match(e.message, /bad\.yaml/);
        return true;
      },
    );
  });
});

describe('control plane debug API', () => {
  it('serves /ready, /debug/syncz and /debug/config_dump for a connected proxy', async () => {
    const provider = new StaticSnapshotProvider(parseSnapshotText(SNAPSHOT, 'snap.yaml'));
    const cp = await startControlPlane({ provider, xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', debounceMs: 0 });
    const client = new RawAdsClient(cp.xdsPort, 'delta');
    try {
      const base = `http://127.0.0.1:${cp.httpPort}`;
      assert.equal((await fetch(`${base}/ready`)).status, 200);
      client.send({ node: { id: 'sidecar~10.0.0.1', cluster: 'web' }, type_url: CLUSTER_TYPE });
      const cds = await client.next();
      client.send({ type_url: CLUSTER_TYPE, response_nonce: cds.nonce });
      client.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ['web'] });
      await client.next();

      const syncz = (await (await fetch(`${base}/debug/syncz`)).json()) as { proxies: { proxy: string; variant: string; types: Record<string, { ackedVersion: string; resources: number }> }[] };
      assert.equal(syncz.proxies.length, 1);
      assert.equal(syncz.proxies[0]?.proxy, 'sidecar~10.0.0.1');
      assert.equal(syncz.proxies[0]?.variant, 'delta');
      assert.equal(syncz.proxies[0]?.types['Cluster']?.ackedVersion, '1');
      assert.equal(syncz.proxies[0]?.types['ClusterLoadAssignment']?.resources, 1);

      const dumpRes = await fetch(`${base}/debug/config_dump?proxy=${encodeURIComponent('sidecar~10.0.0.1')}`);
      assert.equal(dumpRes.status, 200);
      const dump = (await dumpRes.json()) as { streams: { types: Record<string, { resources: { name: string; resource: Record<string, unknown> }[] }> }[] };
      const cluster = dump.streams[0]?.types['Cluster']?.resources[0];
      assert.equal(cluster?.name, 'web');
      assert.equal(cluster?.resource['@type'], CLUSTER_TYPE);
      assert.equal(cluster?.resource['type'], 'EDS');
      assert.deepEqual(cluster?.resource['connect_timeout'], { seconds: '0', nanos: 500000000 });
      assert.equal((await fetch(`${base}/debug/config_dump?proxy=nobody`)).status, 404);
      assert.equal((await fetch(`${base}/debug/config_dump`)).status, 400);
    } finally {
      client.close();
      await cp.close();
    }
  });
});
