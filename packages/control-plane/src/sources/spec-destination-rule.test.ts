import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(trafficPolicy: string, extra = ''): string[] {
  const parsed = parseYamlDocuments(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: r, namespace: shop }
spec:
  host: reviews${extra}
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

  it('accepts TLS origination (SIMPLE, MUTUAL, insecureSkipVerify) and the connection pool extras', () => {
    assert.deepEqual(problems(`    tls: { mode: SIMPLE, caCertificates: /ca.pem, sni: a.example, subjectAltNames: [a.example] }
    connectionPool: { tcp: { tcpKeepalive: { time: 60s } }, http: { maxConcurrentStreams: 100 } }
    portLevelSettings:
    - port: { number: 443 }
      tls: { mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem }
    - port: { number: 8443 }
      tls: { mode: SIMPLE, insecureSkipVerify: true }`), []);
  });

  it('refuses TLS settings Weft cannot honour, naming the field and the reason', () => {
    assert.deepEqual(problems('    tls: { mode: ISTIO_MUTUAL }'), [`${P}.tls.mode: 'ISTIO_MUTUAL' is not supported by Weft yet (it needs workload certificates from the mesh CA)`]);
    assert.deepEqual(problems('    tls: { mode: MUTUAL, caCertificates: /ca.pem }'), [
      `${P}.tls.clientCertificate: client certificate required for mutual tls`,
      `${P}.tls.privateKey: private key required for mutual tls`,
    ]);
    assert.deepEqual(problems('    tls: { mode: SIMPLE, clientCertificate: /c.pem }'), [
      `${P}.tls.clientCertificate: is only used with mode MUTUAL`,
      `${P}.tls.caCertificates: is required to verify the server (Weft does not use the system trust store yet); set insecureSkipVerify: true to skip verification`,
    ]);
    assert.deepEqual(problems('    tls: { mode: SIMPLE, insecureSkipVerify: true, subjectAltNames: [a] }'), [`${P}.tls.subjectAltNames: cannot be combined with insecureSkipVerify`]);
    assert.deepEqual(problems('    tls: { sni: a.example }'), [`${P}.tls.sni: is only used with mode SIMPLE or MUTUAL`]);
    assert.deepEqual(problems('    tls: { mode: SIMPLE, credentialName: secret }'), [
      `${P}.tls.credentialName: is not supported by Weft yet (it needs SDS from Kubernetes secrets): use clientCertificate, privateKey and caCertificates files`,
      `${P}.tls.caCertificates: is required to verify the server (Weft does not use the system trust store yet); set insecureSkipVerify: true to skip verification`,
    ]);
    assert.deepEqual(problems('    connectionPool: { tcp: { tcpKeepalive: { probes: 3, interval: 10s, time: 0.5s } }, http: { maxConcurrentStreams: 0 } }'), [
      `${P}.connectionPool.tcp.tcpKeepalive.probes: is not supported by Weft yet (only time)`,
      `${P}.connectionPool.tcp.tcpKeepalive.interval: is not supported by Weft yet (only time)`,
      `${P}.connectionPool.tcp.tcpKeepalive.time: duration '0.5s' must be at least 1000ms`,
      `${P}.connectionPool.http.maxConcurrentStreams: 0 is out of range [1, 2147483647]`,
    ]);
  });

  it('checks workloadSelector (matchLabels, as in Istio)', () => {
    assert.deepEqual(problems('    loadBalancer: { simple: RANDOM }', '\n  workloadSelector: { matchLabels: { app: client } }'), []);
    assert.deepEqual(problems('    loadBalancer: { simple: RANDOM }', '\n  workloadSelector: { labels: { app: client } }'), [
      "spec.workloadSelector.labels: unknown field 'labels'",
      'spec.workloadSelector.matchLabels: is required',
    ]);
  });
});
