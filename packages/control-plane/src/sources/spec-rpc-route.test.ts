import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(doc: string): string[] {
  const parsed = parseYamlDocuments(doc);
  assert.ok(parsed.ok);
  const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.reason}`);
}

function rpcRoute(spec: string, apiVersion = 'rpc.weft.io/v1alpha1'): string[] {
  return problems(`apiVersion: ${apiVersion}
kind: RpcRoute
metadata: { name: r, namespace: shop }
spec:
${spec}`);
}

describe('RpcRoute validation', () => {
  it('accepts matches on every attribute, weighted subsets, timeout, retries, mirror and colouring', () => {
    assert.deepEqual(rpcRoute(`  hosts: [com.example.HelloService]
  exportTo: [.]
  colouring: { header: x-colour, label: colour }
  rules:
  - name: a
    match:
    - service: { exact: com.example.HelloService }
      method: { prefix: get }
      version: { exact: "1.0" }
      group: { regex: "g.*" }
      application: { exact: shop }
      headers: { x-user: { exact: alice } }
      parameters: [{ index: 0, exact: vip }]
    route:
    - { destination: { host: com.example.HelloService, subset: v1 }, weight: 70 }
    - { destination: { host: com.example.HelloService, subset: v2, port: { number: 12200 } }, weight: 30 }
    timeout: 1s
    retries: { attempts: 2, retryOn: "connect-failure,reset", idempotent: true, perTryTimeout: 250ms }
    mirror: { host: com.example.HelloService, subset: v2 }
    mirrorPercentage: { value: 10 }
  - route: [{ destination: { host: com.example.HelloService } }]`), []);
  });

  it('refuses unknown fields, bad matchers, weights and durations with field paths', () => {
    assert.deepEqual(rpcRoute(`  hosts: [a.b]
  colour: {}
  colouring: { label: colour }
  rules:
  - name: x
    match:
    - method: { exact: a, prefix: b }
      servce: { exact: a }
      parameters: [{ exact: a }, { index: 1 }]
      headers: { "bad name": { exact: a } }
    route:
    - { destination: { host: a.b, subset: v1 }, weight: 60 }
    - { destination: { host: a.b, subset: v2 }, weight: 30 }
    timeout: soon
    retries: { attempts: 2, retryOn: "5xx", perTryTimeout: 0s }
    mirrorPercentage: { value: 150 }
  - name: x`), [
      "spec.colour: unknown field 'colour'",
      'spec.colouring.header: is required',
      "spec.rules[0].match[0].method: only one of 'exact', 'prefix' may be set",
      "spec.rules[0].match[0].servce: unknown field 'servce'",
      'spec.rules[0].match[0].parameters[0].index: is required',
      "spec.rules[0].match[0].parameters[1]: one of 'exact', 'prefix' or 'regex' is required",
      'spec.rules[0].match[0].headers.bad name: \'bad name\' is not a valid header / attachment name',
      "spec.rules[0].timeout: 'soon' is not a duration (e.g. '1s', '100ms', '1m30s')",
      "spec.rules[0].retries.retryOn: unknown retry condition '5xx' (connect-failure, reset, timeout, server-error)",
      "spec.rules[0].retries.perTryTimeout: duration '0s' must be at least 1ms",
      'spec.rules[0].mirrorPercentage.value: must be a number in [0, 100]',
      'spec.rules[0].route: weights add up to 90, must be 100 with several destinations',
      "spec.rules[0].mirrorPercentage: needs 'mirror'",
      "spec.rules[1].name: duplicate rule name 'x'",
    ]);
  });

  it('requires hosts and its own API version', () => {
    assert.deepEqual(rpcRoute('  rules: []'), ['spec.hosts: is required']);
    assert.deepEqual(rpcRoute('  hosts: [a.b]', 'networking.istio.io/v1'), ["apiVersion: 'networking.istio.io/v1' is not supported (use one of rpc.weft.io/v1alpha1)"]);
    assert.deepEqual(problems(`apiVersion: rpc.weft.io/v1alpha1
kind: VirtualService
metadata: { name: r }
spec: {}`), ["apiVersion: 'rpc.weft.io/v1alpha1' is not supported (use one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3)"]);
  });
});

describe('RPC port protocols', () => {
  it('accepts BOLT, DUBBO and THRIFT in any case on ServiceEntry and Sidecar ports', () => {
    assert.deepEqual(problems(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: s }
spec:
  hosts: [com.example.A]
  ports: [{ number: 1, name: a, protocol: bolt }, { number: 2, name: b, protocol: Dubbo }, { number: 3, name: c, protocol: THRIFT }]`), []);
    assert.deepEqual(problems(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: s }
spec:
  hosts: [com.example.A]
  ports: [{ number: 1, name: a, protocol: hessian }]`), ["spec.ports[0].protocol: 'hessian' is not a protocol (HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, MYSQL, REDIS, TCP, TLS, UDP, BOLT, DUBBO, THRIFT)"]);
  });
});
