import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { CorsPolicy__Output } from '@weft/api/envoy/envoy/extensions/filters/http/cors/v3/CorsPolicy.js';
import { fakeRuntime } from '../../../../router/route-test-helpers.js';
import { compileCorsPolicy, CORS_POLICY_TYPE, EffectiveCors } from './cors-policy.js';

function policy(json: Record<string, unknown>): ReturnType<typeof compileCorsPolicy> {
  return compileCorsPolicy(normalizeMessage(CORS_POLICY_TYPE, json) as unknown as CorsPolicy__Output, 'p');
}

describe('CORS policy', () => {
  it('matches origins with StringMatchers; the most specific level that lists origins decides alone', () => {
    const route = policy({ allow_origin_string_match: [{ exact: 'https://a.example' }, { suffix: '.b.example' }] });
    const vhost = policy({ allow_origin_string_match: [{ prefix: 'https://' }], allow_methods: 'GET', allow_credentials: { value: true } });
    const cors = new EffectiveCors([route, vhost]);
    assert.equal(cors.isOriginAllowed('https://a.example'), true);
    assert.equal(cors.isOriginAllowed('http://x.b.example'), true);
    assert.equal(cors.isOriginAllowed('https://other.example'), false);
    // Fields the route does not set come from the virtual host.
    assert.equal(cors.allowMethods, 'GET');
    assert.equal(cors.allowCredentials, true);
    assert.equal(cors.forwardNotMatchingPreflights, true);
  });

  it('an exact "*" matcher allows every origin; no origins allows none', () => {
    assert.equal(new EffectiveCors([policy({ allow_origin_string_match: [{ exact: '*' }] })]).isOriginAllowed('https://any'), true);
    assert.equal(new EffectiveCors([policy({})]).isOriginAllowed('https://any'), false);
  });

  it('filter_enabled / shadow_enabled come from the most specific policy, default enabled / not shadow', () => {
    const rt = fakeRuntime();
    const off = policy({ filter_enabled: { default_value: { numerator: 0 } }, shadow_enabled: { default_value: { numerator: 100 } } });
    assert.equal(new EffectiveCors([off, policy({})]).enabled(rt, 0), false);
    assert.equal(new EffectiveCors([off]).shadow(rt, 0), true);
    assert.equal(new EffectiveCors([policy({}), off]).enabled(rt, 0), true);
    assert.equal(new EffectiveCors([policy({})]).shadow(rt, 0), false);
  });
});
