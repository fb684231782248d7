import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { LayeredRuntime__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/LayeredRuntime.js';
import { LayeredRuntime } from './runtime.js';

function runtime(layers: object[]): LayeredRuntime {
  return LayeredRuntime.fromBootstrap(normalizeMessage<LayeredRuntime__Output>('envoy.config.bootstrap.v3.LayeredRuntime', { layers }), 'layered_runtime');
}

const struct = (v: Record<string, unknown>): object => ({
  fields: Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k,
      typeof x === 'number' ? { numberValue: x } : typeof x === 'boolean' ? { boolValue: x } : typeof x === 'string' ? { stringValue: x } : { structValue: struct(x as Record<string, unknown>) },
    ]),
  ),
});

describe('layered runtime', () => {
  test('later layers override earlier ones; nested keys are dotted', () => {
    const rt = runtime([
      { name: 'a', static_layer: struct({ upstream: { healthy_panic_threshold: 40 }, flag: true }) },
      { name: 'b', static_layer: struct({ upstream: { healthy_panic_threshold: 10 } }) },
    ]);
    assert.equal(rt.getNumber('upstream.healthy_panic_threshold', 50), 10);
    assert.equal(rt.getBoolean('flag', false), true);
    assert.equal(rt.getNumber('missing', 7), 7);
  });

  test('the admin layer overrides static values when listed after them', () => {
    const rt = runtime([{ name: 's', static_layer: struct({ x: 1 }) }, { name: 'admin', admin_layer: {} }]);
    rt.setAdminValue('x', '5');
    assert.equal(rt.getNumber('x', 0), 5);
    rt.setAdminValue('x', undefined);
    assert.equal(rt.getNumber('x', 0), 1);
  });

  test('featureEnabled uses the default fraction unless the runtime key overrides it', () => {
    const rt = runtime([{ name: 's', static_layer: struct({ off: 0, half: { numerator: 50, denominator: 'HUNDRED' } }) }]);
    assert.equal(rt.featureEnabled('absent', 100, 100, 12345), true);
    assert.equal(rt.featureEnabled('off', 100, 100, 1), false);
    assert.equal(rt.featureEnabled('half', 0, 100, 49), true);
    assert.equal(rt.featureEnabled('half', 0, 100, 50), false);
  });

  test('rejects disk and RTDS layers with the field path', () => {
    assert.throws(() => runtime([{ name: 'd', disk_layer: { symlink_root: '/x' } }]), /layered_runtime\.layers\[0\]\.disk_layer: only static_layer and admin_layer are supported/);
  });
});
