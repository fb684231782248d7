import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@weft/api/lite';
import type { HttpConnectionManager__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import { compileHcmUpgrades, upgradeAllowed, upgradeTypeOf } from './upgrade-config.js';

function hcm(upgrades: object[]): HttpConnectionManager__Output {
  const full = upgrades.map((u) => ({ upgrade_type: '', filters: [], enabled: null, ...u }));
  return { upgrade_configs: full } as unknown as HttpConnectionManager__Output;
}

describe('upgrade configs', () => {
  it('compiles types case-insensitively, enabled by default', () => {
    const m = compileHcmUpgrades(hcm([{ upgrade_type: 'WebSocket' }, { upgrade_type: 'CONNECT', enabled: { value: false } }]), 'p');
    assert.deepEqual([...m], [['websocket', true], ['connect', false]]);
  });

  it("follows Envoy's HCM/route table", () => {
    const on = new Map([['websocket', true]]);
    const off = new Map([['websocket', false]]);
    const none = new Map<string, boolean>();
    assert.equal(upgradeAllowed(on, undefined, 'WebSocket'), true);
    assert.equal(upgradeAllowed(on, off, 'websocket'), false);
    assert.equal(upgradeAllowed(off, on, 'websocket'), true);
    assert.equal(upgradeAllowed(off, undefined, 'websocket'), false);
    assert.equal(upgradeAllowed(none, on, 'websocket'), true);
    assert.equal(upgradeAllowed(none, none, 'websocket'), false);
    assert.equal(upgradeAllowed(on, none, 'h2c'), false);
  });

  it('names CONNECT by its method and other upgrades by their header', () => {
    assert.equal(upgradeTypeOf('CONNECT', undefined), 'CONNECT');
    assert.equal(upgradeTypeOf('GET', 'websocket'), 'websocket');
  });

  const invalid: Array<[string, object[], string]> = [
    ['an empty type', [{ upgrade_type: '' }], 'p.upgrade_configs[0].upgrade_type'],
    ['a duplicate type', [{ upgrade_type: 'websocket' }, { upgrade_type: 'WEBSOCKET' }], 'p.upgrade_configs[1].upgrade_type'],
    ['custom filters', [{ upgrade_type: 'websocket', filters: [{ name: 'envoy.filters.http.router' }] }], 'p.upgrade_configs[0].filters'],
  ];
  for (const [name, list, path] of invalid) {
    it(`refuses ${name} at ${path}`, () => {
      assert.throws(
        () => compileHcmUpgrades(hcm(list), 'p'),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${path}:`),
      );
    });
  }
});
