import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(yaml: string): string[] {
  const parsed = parseYamlDocuments(yaml);
  assert.ok(parsed.ok);
  const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.reason}`);
}

const VS = (spec: string, version = 'v1beta1'): string => `apiVersion: networking.istio.io/${version}
kind: VirtualService
metadata: { name: reviews, namespace: bookinfo }
spec:
${spec}`;

describe('validateDocument', () => {
  it('accepts a full VirtualService in v1, v1beta1 and v1alpha3', () => {
    const spec = `  hosts: [reviews]
  http:
  - name: r1
    match:
    - uri: { prefix: /api }
      headers: { end-user: { exact: jason } }
      withoutHeaders: { x-debug: { exact: "1" } }
      queryParams: { v: { regex: "^[0-9]+$" } }
      method: { exact: GET }
      scheme: { exact: http }
      authority: { prefix: reviews }
      port: 9080
      sourceLabels: { app: productpage }
      ignoreUriCase: true
    route:
    - destination: { host: reviews, subset: v2 }
      weight: 80
    - destination: { host: reviews, subset: v3, port: { number: 9080 } }
      weight: 20
    timeout: 1.5s
    retries: { attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure" }
    fault: { delay: { fixedDelay: 7s, percentage: { value: 10 } } }
    mirror: { host: reviews, subset: v1 }
    mirrorPercentage: { value: 50 }
    corsPolicy: { allowOrigins: [{ exact: "https://a.example" }], allowMethods: [GET], maxAge: 24h }
    headers: { request: { set: { x-a: b } }, response: { remove: [x-c] } }
  tcp:
  - match: [{ port: 3306 }]
    route: [{ destination: { host: db } }]`;
    for (const v of ['v1', 'v1beta1', 'v1alpha3']) assert.deepEqual(problems(VS(spec, v)), []);
    const parsed = parseYamlDocuments(VS(spec, 'v1'));
    assert.ok(parsed.ok);
    const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
    assert.ok(r.ok);
    assert.equal(r.key, 'VirtualService/bookinfo/reviews');
  });

  it('reports unknown fields, bad durations, ports and weights with their field paths', () => {
    const out = problems(VS(`  hosts: [reviews]
  htpp: []
  http:
  - route:
    - destination: { host: reviews, port: { number: 70000 } }
      weight: 60
    - destination: { host: reviews }
      weight: 30
    timeout: soon
    retries: { attempts: 2, perTryTimeout: 1x }`));
    assert.deepEqual(out, [
      "spec.htpp: unknown field 'htpp'",
      'spec.http[0].route[0].destination.port.number: 70000 is out of range [1, 65535]',
      "spec.http[0].timeout: 'soon' is not a duration (e.g. '1s', '100ms', '1m30s')",
      "spec.http[0].retries.perTryTimeout: '1x' is not a duration (e.g. '1s', '100ms', '1m30s')",
      'spec.http[0].route: total destination weight is 90, must be 100',
    ]);
  });

  it('keeps the schema (Ajv) wording for wrong types and enum values', () => {
    const out = problems(`apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: { name: ext }
spec:
  hosts: [api.example.com]
  resolution: MAGIC
  ports: [{ number: "80", name: http, protocol: HTTP }]`);
    assert.ok(out.includes('spec.ports[0].number: must be integer'), out.join('\n'));
    assert.ok(out.some((p) => p.startsWith('spec.resolution: must be equal to one of the allowed values')), out.join('\n'));
  });

  it('checks the envelope: apiVersion, kind, name, namespace', () => {
    assert.deepEqual(problems('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: Bad_Name }\n'), [
      "apiVersion: 'v1' is not supported (use one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3)",
      "kind: 'ConfigMap' is not supported (use one of ServiceEntry, WorkloadEntry, VirtualService, DestinationRule, Sidecar, Gateway, RpcRoute)",
      "metadata.name: 'Bad_Name' is not a valid resource name (lower-case DNS-1123 subdomain)",
    ]);
  });

  it('checks in-resource references: endpoint port names, subset names, sidecar hosts', () => {
    assert.deepEqual(problems(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ext }
spec:
  hosts: [db.internal]
  resolution: STATIC
  ports: [{ number: 5432, name: pg, protocol: TCP }, { number: 5433, name: pg, protocol: TCP }]
  endpoints: [{ address: 10.0.0.1, ports: { postgres: 5432 } }, { address: db.example.com }]`), [
      "spec.ports[1].name: duplicate port name 'pg'",
      "spec.endpoints[0].ports.postgres: no port named 'postgres' in this ServiceEntry",
      "spec.endpoints[1].address: resolution STATIC needs IP addresses (use 'DNS' for host names)",
    ]);
    assert.deepEqual(problems(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: r }
spec:
  host: reviews
  trafficPolicy: { outlierDetection: { interval: 0.1ms }, loadBalancer: { simple: PASSTHROUGH } }
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v1 }]`), [
      "spec.trafficPolicy.outlierDetection.interval: duration '0.1ms' must be at least 1ms",
      "spec.trafficPolicy.loadBalancer.simple: 'PASSTHROUGH' is not supported by Weft yet",
      "spec.subsets[1].name: duplicate subset name 'v1'",
    ]);
    assert.deepEqual(problems(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: s }
spec:
  ingress: [{ port: { number: 9080, protocol: HTTP, name: http }, captureMode: IPTABLES, defaultEndpoint: "127.0.0.1:99999" }]
  egress: [{ hosts: ["reviews"] }]`), [
      "spec.ingress[0].captureMode: 'IPTABLES' is not supported by Weft yet",
      'spec.ingress[0].defaultEndpoint: port 99999 is out of range [1, 65535]',
      "spec.egress[0].hosts[0]: 'reviews' must be 'namespace/host' (namespace: '.', '*', '~' or a name)",
    ]);
  });

  it('refuses fields Weft does not implement instead of ignoring them', () => {
    assert.deepEqual(problems(VS('  hosts: [a]\n  tls: [{ match: [{ sniHosts: [a] }], route: [{ destination: { host: a } }] }]')), [
      "spec.tls: TLS routes apply only to gateways in Weft (set 'gateways' without 'mesh')",
    ]);
  });
  it('accepts fault.abort.grpcStatus by name, and exactly one of httpStatus / grpcStatus', () => {
    const abort = (a: string): string[] => problems(VS(`  hosts: [a]\n  http: [{ route: [{ destination: { host: a } }], fault: { abort: { ${a} } } }]`));
    assert.deepEqual(abort('grpcStatus: UNAVAILABLE, percentage: { value: 10 }'), []);
    assert.deepEqual(abort('grpcStatus: "14"'), [
      "spec.http[0].fault.abort.grpcStatus: '14' is not one of OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED",
    ]);
    assert.deepEqual(abort('grpcStatus: UNAVAILABLE, httpStatus: 503'), [
      'spec.http[0].fault.abort: must NOT be valid',
      'spec.http[0].fault.abort: must match exactly one schema in oneOf',
    ]);
    assert.deepEqual(abort('percentage: { value: 10 }'), ["spec.http[0].fault.abort: one of 'httpStatus' or 'grpcStatus' is required"]);
  });
});
