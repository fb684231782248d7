import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findListenerByAddress, type AddressedListener } from './listener-lookup.js';

function l(host: string, port: number): AddressedListener {
  return { address: { host, port, family: host.includes(':') ? 6 : 4 }, port };
}

describe('findListenerByAddress (use_original_dst hand-off)', () => {
  const any80 = l('0.0.0.0', 80);
  const exact80 = l('10.0.0.5', 80);
  const any6 = l('::', 80);
  const other = l('0.0.0.0', 15001);
  it('prefers the exact address, then the wildcard of the same family and port', () => {
    assert.equal(findListenerByAddress([any80, exact80, any6, other], '10.0.0.5', 80), exact80);
    assert.equal(findListenerByAddress([any80, exact80, any6, other], '10.0.0.9', 80), any80);
    assert.equal(findListenerByAddress([any80, exact80, any6, other], 'fd00::1', 80), any6);
  });
  it('finds nothing for another port', () => {
    assert.equal(findListenerByAddress([any80, exact80, other], '10.0.0.5', 81), undefined);
  });
});
