import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage } from '@weft/api';
import { buildModel } from '../model/mesh-model.js';
import { ConfigStore } from '../sources/config-store.js';
import { parseYamlDocuments } from '../sources/yaml-documents.js';
import type { ProxyNode } from '../xds/snapshot.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../xds/type-urls.js';
import { IstioSnapshotProvider } from './istio-snapshot-provider.js';

const MESH = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 9080, name: grpc, protocol: GRPC }]
  endpoints: [{ address: 10.0.0.1 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  trafficPolicy: { loadBalancer: { simple: LEAST_REQUEST } }
`;

function model(yaml: string) {
  const store = new ConfigStore();
  const parsed = parseYamlDocuments(yaml);
  assert.ok(parsed.ok);
  store.setFile('mesh.yaml', parsed);
  return buildModel(store.snapshot().resources.values());
}

/** A node as the ADS server hands it over (metadata as a protobuf Struct, like on the wire). */
function node(id: string, metadata: Record<string, string>): ProxyNode {
  const fields = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { stringValue: v }]));
  return { id, cluster: 'c', node: { id, metadata: { fields } } } as unknown as ProxyNode;
}

const names = (m: ReadonlyMap<string, unknown> | undefined): string[] => [...(m?.keys() ?? [])].sort();

describe('IstioSnapshotProvider for proxyless gRPC', () => {
  it('serves proxyless gRPC clients (GENERATOR=grpc) api_listeners and sidecars their listeners, never each other\'s', () => {
    const provider = new IstioSnapshotProvider();
    provider.setModel(model(MESH));
    const grpcNode = node('grpc-1', { GENERATOR: 'grpc', NAMESPACE: 'default' });
    const sidecarNode = node('sidecar~10.0.0.9~client.default~default.svc.cluster.local', { NAMESPACE: 'default' });
    const g = provider.snapshotFor(grpcNode);
    const s = provider.snapshotFor(sidecarNode);

    assert.deepEqual(names(g.resources.get(LISTENER_TYPE)), [
      'reviews.default.svc.cluster.local:9080', 'reviews.default.svc:9080', 'reviews.default:9080', 'reviews:9080',
    ]);
    assert.deepEqual(names(s.resources.get(LISTENER_TYPE)), ['127.0.0.1_9080']);
    assert.deepEqual(names(g.resources.get(ROUTE_TYPE)), ['outbound|9080||reviews.default.svc.cluster.local']);
    assert.deepEqual(names(s.resources.get(ROUTE_TYPE)), ['127.0.0.1:9080']);

    const listener = decodeMessage<{ api_listener?: { api_listener?: { '@type'?: string; rds?: { route_config_name: string } } }; filter_chains: unknown[] }>(
      'envoy.config.listener.v3.Listener', g.resources.get(LISTENER_TYPE)?.get('reviews:9080')?.body ?? new Uint8Array(),
    );
    assert.equal(listener.api_listener?.api_listener?.['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    assert.equal(listener.api_listener?.api_listener?.rds?.route_config_name, 'outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(listener.filter_chains, []);

    // Same cluster name, different content: gRPC gets ROUND_ROBIN (it NACKs LEAST_REQUEST), the sidecar LEAST_REQUEST.
    const lb = (snap: typeof g): string => decodeMessage<{ lb_policy: string }>('envoy.config.cluster.v3.Cluster', snap.resources.get(CLUSTER_TYPE)?.get('outbound|9080||reviews.default.svc.cluster.local')?.body ?? new Uint8Array()).lb_policy;
    assert.equal(lb(g), 'ROUND_ROBIN');
    assert.equal(lb(s), 'LEAST_REQUEST');

    // Identical content is encoded once and shared (the ClusterLoadAssignment), and cached per node per generation.
    const cla = 'outbound|9080||reviews.default.svc.cluster.local';
    assert.equal(g.resources.get(ENDPOINT_TYPE)?.get(cla), s.resources.get(ENDPOINT_TYPE)?.get(cla));
    assert.equal(provider.snapshotFor(grpcNode), g);
    provider.setModel(model(MESH));
    const g2 = provider.snapshotFor(grpcNode);
    assert.notEqual(g2, g);
    assert.equal(g2.resources.get(LISTENER_TYPE)?.get('reviews:9080'), g.resources.get(LISTENER_TYPE)?.get('reviews:9080'), 'unchanged resource reused across generations');
  });
});
