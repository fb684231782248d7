import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMap } from '../interfaces/header-map.js';
import type { HttpRequest } from '../interfaces/http-filter.js';
import type { HcmConfig } from './hcm-config.js';
import { mutateRequestHeaders } from './request-headers.js';

function cfg(over: Record<string, unknown> = {}): HcmConfig {
  return {
    useRemoteAddress: false,
    skipXffAppend: false,
    internalCidrs: undefined,
    xffNumTrustedHops: 0,
    generateRequestId: true,
    preserveExternalRequestId: false,
    via: '',
    appendXForwardedPort: false,
    routeTable: { internalOnlyHeaders: [] },
    xfcc: { mode: 'SANITIZE', subject: false, uri: false, dns: false },
    ...over,
  } as unknown as HcmConfig;
}

function req(...entries: Array<[string, string]>): HttpRequest {
  const headers = new HeaderMap();
  for (const [k, v] of entries) headers.add(k, v);
  return { method: 'GET', path: '/', authority: 'a', scheme: 'http', headers, protocol: 'HTTP/1.1' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('connection manager request header processing', () => {
  it('generates one x-request-id when absent and reports it', () => {
    const r = req(['host', 'a']);
    const out = mutateRequestHeaders(r, cfg(), '10.0.0.1', 80);
    assert.equal(r.headers.getAll('x-request-id').length, 1);
    assert.match(out.requestId, UUID);
    assert.equal(r.headers.get('x-request-id'), out.requestId);
    assert.equal(r.headers.get('x-forwarded-proto'), 'http');
  });

  it('keeps the request id of an internal request and replaces an empty one', () => {
    const kept = req(['x-request-id', 'abc']);
    assert.equal(mutateRequestHeaders(kept, cfg(), '10.0.0.1', 80).requestId, 'abc');
    assert.equal(kept.headers.get('x-request-id'), 'abc');
    const empty = req(['x-request-id', ''], ['x-request-id', 'second']);
    const out = mutateRequestHeaders(empty, cfg(), '10.0.0.1', 80);
    assert.match(out.requestId, UUID);
    assert.deepEqual(empty.headers.getAll('x-request-id'), [out.requestId]);
  });

  it('reports the existing id without generating when generate_request_id is off', () => {
    const r = req(['x-request-id', 'abc']);
    assert.equal(mutateRequestHeaders(r, cfg({ generateRequestId: false }), '1.2.3.4', 80).requestId, 'abc');
    assert.equal(mutateRequestHeaders(req(), cfg({ generateRequestId: false }), '1.2.3.4', 80).requestId, '');
  });

  it('with use_remote_address strips internal-only headers from an external client and replaces its request id', () => {
    const r = req(
      ['x-envoy-internal', 'true'],
      ['host', 'a'],
      ['x-envoy-retry-on', '5xx'],
      ['x-envoy-custom', 'kept'],
      ['x-request-id', 'client'],
      ['x-secret', 's'],
    );
    const c = cfg({ useRemoteAddress: true, routeTable: { internalOnlyHeaders: ['x-secret'] } });
    const out = mutateRequestHeaders(r, c, '8.8.8.8', 80);
    assert.equal(out.internal, false);
    assert.equal(out.clientIp, '8.8.8.8');
    assert.notEqual(out.requestId, 'client');
    assert.deepEqual(
      r.headers.names,
      ['host', 'x-envoy-custom', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-envoy-external-address'],
    );
    assert.equal(r.headers.get('x-forwarded-for'), '8.8.8.8');
  });

  it('with use_remote_address marks an internal client (no prior x-forwarded-for) and keeps its x-envoy controls', () => {
    const r = req(['x-envoy-retry-on', '5xx']);
    const out = mutateRequestHeaders(r, cfg({ useRemoteAddress: true }), '10.1.2.3', 80);
    assert.equal(out.internal, true);
    assert.equal(r.headers.get('x-forwarded-for'), '10.1.2.3');
    assert.equal(r.headers.get('x-envoy-retry-on'), '5xx');
    assert.equal(r.headers.get('x-envoy-internal'), 'true');
  });

  it('with use_remote_address a client-supplied x-forwarded-for makes the request external (Envoy)', () => {
    const r = req(['x-forwarded-for', '1.1.1.1'], ['x-envoy-retry-on', '5xx']);
    const out = mutateRequestHeaders(r, cfg({ useRemoteAddress: true }), '10.1.2.3', 80);
    assert.equal(out.internal, false);
    assert.equal(r.headers.get('x-forwarded-for'), '1.1.1.1,10.1.2.3');
    assert.equal(r.headers.get('x-envoy-retry-on'), undefined);
    assert.equal(r.headers.get('x-envoy-internal'), undefined);
    assert.equal(r.headers.get('x-envoy-external-address'), '10.1.2.3');
  });

  it('takes the client address from x-forwarded-for with xff_num_trusted_hops', () => {
    const r = req(['x-forwarded-for', '1.1.1.1, 2.2.2.2'], ['x-forwarded-proto', 'https']);
    const out = mutateRequestHeaders(r, cfg({ xffNumTrustedHops: 1 }), '10.0.0.1', 80);
    assert.equal(out.clientIp, '1.1.1.1');
    assert.equal(r.headers.get('x-forwarded-proto'), 'https');
  });
});
