import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(trafficPolicy: string): string[] {
  const parsed = parseYamlDocuments(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: r, namespace: shop }
spec:
  host: reviews
  trafficPolicy:
${trafficPolicy}`);
  assert.ok(parsed.ok);
  const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.reason}`);
}

const P = 'spec.trafficPolicy';

describe('DestinationRule traffic policy validation', () => {
  it('accepts localityLbSetting distribute, failover and failoverPriority', () => {
    assert.deepEqual(problems(`    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        distribute: [{ from: us-east/zone1/*, to: { us-east/zone1/*: 80, us-west/*: 20 } }, { from: "*", to: { "*": 100 } }]`), []);
    assert.deepEqual(problems(`    outlierDetection: { consecutive5xxErrors: 1 }
    loadBalancer:
      localityLbSetting:
        enabled: true
        failover: [{ from: us-east, to: eu-west }]
        failoverPriority: [topology.istio.io/network, topology.kubernetes.io/region=us-east]`), []);
  });

  it('refuses malformed locality settings with Istio reasons and field paths', () => {
    assert.deepEqual(problems(`    loadBalancer:
      localityLbSetting:
        distribute:
        - { from: us-east/*/z, to: { us-west/*: 70, eu/*: 0 } }
        - { from: us-east/*/z, to: { us-west: 100 } }`), [
      `${P}.loadBalancer.localityLbSetting.distribute[0].from: 'us-east/*/z': '*' is only allowed as the last segment`,
      `${P}.loadBalancer.localityLbSetting.distribute[0].to.eu/*: locality weight must be an integer in [1, 100]`,
      `${P}.loadBalancer.localityLbSetting.distribute[0].to: total locality weight is 70, must be 100`,
      `${P}.loadBalancer.localityLbSetting.distribute[1].from: 'us-east/*/z': '*' is only allowed as the last segment`,
      `${P}.loadBalancer.localityLbSetting.distribute[1].from: locality 'us-east/*/z' is listed twice`,
    ]);
    assert.deepEqual(problems(`    loadBalancer:
      localityLbSetting:
        failover: [{ from: us-east, to: us-east }, { from: us-east/z1, to: "*" }]`), [
      `${P}.loadBalancer.localityLbSetting.failover[0]: 'from' and 'to' must be different regions`,
      `${P}.loadBalancer.localityLbSetting.failover[1].from: 'us-east/z1' is not a region name (no '/' or '*')`,
      `${P}.loadBalancer.localityLbSetting.failover[1].to: '*' is not a region name (no '/' or '*')`,
    ]);
    assert.deepEqual(problems(`    loadBalancer:
      consistentHash: { httpHeaderName: x-user }
      localityLbSetting:
        distribute: [{ from: a/*, to: { a/*: 100 } }]
        failoverPriority: [x]`), [
      `${P}.loadBalancer.localityLbSetting: only one of 'distribute', 'failoverPriority' may be set`,
      `${P}.loadBalancer.localityLbSetting.distribute: cannot be combined with consistentHash (hashing ignores locality weights)`,
    ]);
  });

  it('still refuses warmupDurationSecs (no slow start in the proxy)', () => {
    assert.deepEqual(problems('    loadBalancer: { warmupDurationSecs: 10s }'), [`${P}.loadBalancer.warmupDurationSecs: is not supported by Weft yet`]);
  });
});
