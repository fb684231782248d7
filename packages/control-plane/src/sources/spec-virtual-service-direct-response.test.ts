import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlDocuments } from './yaml-documents.js';
import { validateDocument } from './validate-resource.js';

function problems(route: string): string[] {
  const parsed = parseYamlDocuments(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: r, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - ${route}`);
  assert.ok(parsed.ok);
  const r = validateDocument(parsed.documents[0]?.value, 'f.yaml', 'default');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.reason}`);
}

describe('VirtualService directResponse validation', () => {
  it('accepts a status with a string, base64 bytes or no body', () => {
    assert.deepEqual(problems('directResponse: { status: 503, body: { string: unavailable } }'), []);
    assert.deepEqual(problems('directResponse: { status: 200, body: { bytes: aGVsbG8= } }'), []);
    assert.deepEqual(problems('{ match: [{ uri: { prefix: /x } }], directResponse: { status: 404 }, headers: { response: { set: { a: b } } } }'), []);
  });

  it('refuses bad statuses, bodies and combinations Istio refuses', () => {
    assert.deepEqual(problems('directResponse: { status: 99, body: { string: a, bytes: YQ== } }'), [
      'spec.http[0].directResponse.body: must NOT be valid',
      'spec.http[0].directResponse.body: must match exactly one schema in oneOf',
      'spec.http[0].directResponse.status: 99 is out of range [200, 599]',
    ]);
    assert.deepEqual(problems('directResponse: { body: { bytes: "not base64!" } }'), [
      'spec.http[0].directResponse.body.bytes: expected base64-encoded bytes',
      'spec.http[0].directResponse.status: is required',
    ]);
    assert.deepEqual(problems(`directResponse: { status: 200, body: { string: "${'x'.repeat(4097)}" } }`), [
      'spec.http[0].directResponse.body.string: body is 4097 bytes, at most 4096 are allowed',
    ]);
    assert.deepEqual(problems('{ directResponse: { status: 200 }, route: [{ destination: { host: a } }], rewrite: { uri: /b }, fault: { abort: { httpStatus: 500 } } }'), [
      "spec.http[0]: only one of 'route', 'directResponse' may be set",
      "spec.http[0]: only one of 'directResponse', 'rewrite' may be set",
      "spec.http[0]: only one of 'directResponse', 'fault' may be set",
    ]);
  });

  it('still refuses fault.delay.exponentialDelay (Envoy has no exponential delay)', () => {
    assert.deepEqual(problems('{ route: [{ destination: { host: a } }], fault: { delay: { exponentialDelay: 1s } } }'), [
      'spec.http[0].fault.delay.exponentialDelay: is not supported by Weft yet',
      'spec.http[0].fault.delay.fixedDelay: is required',
    ]);
  });
});
