import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage } from '@weft/api';
import { buildModel } from '../model/mesh-model.js';
import { ConfigStore } from '../sources/config-store.js';
import { parseYamlDocuments } from '../sources/yaml-documents.js';
import { TYPE_URLS } from '../model/affected-by.js';
import type { ProxyNode } from '../xds/snapshot.js';
import { IstioSnapshotProvider } from './istio-snapshot-provider.js';

const MESH = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 9080, name: http, protocol: HTTP }]
  endpoints:
  - { address: 10.0.0.1, locality: r1/z1 }
  - { address: 10.0.0.2, locality: r1/z2 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews.shop.svc.cluster.local
  trafficPolicy: { outlierDetection: { consecutive5xxErrors: 2 } }
`;

function node(id: string, zone: string): ProxyNode {
  return { id, cluster: 'client.shop', node: { id, cluster: 'client.shop', metadata: { fields: { NAMESPACE: { stringValue: 'shop' } } }, locality: { region: 'r1', zone, sub_zone: '' } } as unknown as ProxyNode['node'] };
}

interface Cla {
  endpoints: Array<{ priority: number; lb_endpoints: Array<{ endpoint: { address: { socket_address: { address: string } } } }> }>;
}

describe('IstioSnapshotProvider with per-locality endpoints', () => {
  it('gives proxies in different zones their own priorities and shares the encoding between proxies of one zone', () => {
    const store = new ConfigStore();
    store.setFile('mesh.yaml', parseYamlDocuments(MESH));
    const provider = new IstioSnapshotProvider();
    provider.setModel(buildModel(store.snapshot().resources.values()));
    const name = 'outbound|9080||reviews.shop.svc.cluster.local';
    const cla = (n: ProxyNode) => provider.snapshotFor(n).resources.get(TYPE_URLS.endpoint)?.get(name);
    const a1 = cla(node('sidecar~10.0.1.1~a1.shop~shop.svc.cluster.local', 'z1'));
    const a2 = cla(node('sidecar~10.0.1.2~a2.shop~shop.svc.cluster.local', 'z1'));
    const b = cla(node('sidecar~10.0.1.3~b.shop~shop.svc.cluster.local', 'z2'));
    assert.ok(a1 && a2 && b);
    assert.equal(a1, a2, 'same zone: one shared encoded resource');
    assert.notEqual(a1.version, b.version);
    const prio = (r: typeof a1): Record<string, number> => {
      const msg = decodeMessage<Cla>('envoy.config.endpoint.v3.ClusterLoadAssignment', r.body);
      return Object.fromEntries(msg.endpoints.map((e) => [e.lb_endpoints[0]?.endpoint.address.socket_address.address ?? '', e.priority]));
    };
    assert.deepEqual(prio(a1), { '10.0.0.1': 0, '10.0.0.2': 1 });
    assert.deepEqual(prio(b), { '10.0.0.1': 1, '10.0.0.2': 0 });
    // The cluster itself does not depend on the zone: shared by all three.
    const cluster = (n: ProxyNode) => provider.snapshotFor(n).resources.get(TYPE_URLS.cluster)?.get(name);
    assert.equal(cluster(node('sidecar~10.0.1.1~a1.shop~shop.svc.cluster.local', 'z1')), cluster(node('sidecar~10.0.1.3~b.shop~shop.svc.cluster.local', 'z2')));
  });
});
