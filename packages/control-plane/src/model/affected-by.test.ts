import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigStore } from '../sources/config-store.js';
import { parseYamlDocuments } from '../sources/yaml-documents.js';
import { affectedBy, isAffectedResource, TYPE_URLS } from './affected-by.js';
import { buildModel, type MeshModel } from './mesh-model.js';

const BASE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: ns }
spec:
  hosts: [reviews.ns.svc.cluster.local]
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  workloadSelector: { labels: { app: reviews } }
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: r1, namespace: ns }
spec: { address: 10.0.0.1, labels: { app: reviews } }
`;

function model(yaml: string): MeshModel {
  const store = new ConfigStore();
  const parsed = parseYamlDocuments(yaml);
  store.setFile('f.yaml', parsed);
  assert.deepEqual(store.snapshot().issues, []);
  return buildModel(store.snapshot().resources.values());
}

describe('affectedBy', () => {
  it('selects WorkloadEntries into ServiceEntry endpoints by labels and namespace', () => {
    const m = model(BASE);
    assert.deepEqual(m.services.map((s) => [s.hostname, s.endpoints.map((e) => e.address)]), [['reviews.ns.svc.cluster.local', ['10.0.0.1']]]);
  });

  it('scopes an endpoint change to EDS of that host only', () => {
    const scope = affectedBy(model(BASE), model(BASE.replace('10.0.0.1', '10.0.0.2')));
    assert.equal(scope.full, false);
    assert.deepEqual([...scope.types], [TYPE_URLS.endpoint]);
    assert.equal(isAffectedResource(scope, TYPE_URLS.endpoint, 'outbound|80|v1|reviews.ns.svc.cluster.local'), true);
    assert.equal(isAffectedResource(scope, TYPE_URLS.endpoint, 'outbound|80||ratings.ns.svc.cluster.local'), false);
    assert.equal(isAffectedResource(scope, TYPE_URLS.cluster, 'outbound|80||reviews.ns.svc.cluster.local'), false);
  });

  it('pushes everything when a policy or a service shape changes, and nothing when nothing changed', () => {
    assert.equal(affectedBy(model(BASE), model(BASE.replace('number: 80', 'number: 81'))).full, true);
    const withDr = `${BASE}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: r, namespace: ns }\nspec: { host: reviews }\n`;
    assert.equal(affectedBy(model(BASE), model(withDr)).full, true);
    const none = affectedBy(model(BASE), model(BASE));
    assert.equal(none.full, false);
    assert.equal(none.types.size, 0);
  });
});
