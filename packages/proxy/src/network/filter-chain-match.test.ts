import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { messageFromJson } from '@weft/api';
import type { FilterChainMatch__Output } from '@weft/api/envoy/envoy/config/listener/v3/FilterChainMatch.js';
import { FilterChainMatcher, type ConnectionMeta } from './filter-chain-match.js';

function match(m: object): FilterChainMatch__Output {
  return messageFromJson<FilterChainMatch__Output>('envoy.config.listener.v3.FilterChainMatch', m);
}

const base: ConnectionMeta = {
  destinationIp: '10.0.0.1',
  destinationPort: 443,
  sourceIp: '192.168.1.5',
  sourcePort: 40000,
  directSourceIp: '192.168.1.5',
  serverName: '',
  transportProtocol: 'raw_buffer',
  applicationProtocols: [],
};

describe('filter chain selection (Envoy order: most specific wins per criterion)', () => {
  test('an exact destination port beats a chain without one; other ports fall to the catch-all', () => {
    const m = new FilterChainMatcher<string>(undefined);
    m.add(match({}), 'any', 'c[0]');
    m.add(match({ destination_port: 443 }), 'p443', 'c[1]');
    assert.equal(m.select(base), 'p443');
    assert.equal(m.select({ ...base, destinationPort: 80 }), 'any');
  });

  test('the longest destination prefix wins', () => {
    const m = new FilterChainMatcher<string>(undefined);
    m.add(match({ prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] }), 'ten', 'c[0]');
    m.add(match({ prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 24 }] }), 'ten24', 'c[1]');
    assert.equal(m.select(base), 'ten24');
    assert.equal(m.select({ ...base, destinationIp: '10.9.9.9' }), 'ten');
    assert.equal(m.select({ ...base, destinationIp: '11.0.0.1' }), undefined);
  });

  test('server names: exact beats wildcard, wildcard beats unset, no SNI only matches unset', () => {
    const m = new FilterChainMatcher<string>(undefined);
    m.add(match({}), 'none', 'c[0]');
    m.add(match({ server_names: ['*.example.com'] }), 'wild', 'c[1]');
    m.add(match({ server_names: ['api.example.com'] }), 'exact', 'c[2]');
    assert.equal(m.select({ ...base, serverName: 'api.example.com' }), 'exact');
    assert.equal(m.select({ ...base, serverName: 'www.example.com' }), 'wild');
    assert.equal(m.select({ ...base, serverName: 'other.org' }), 'none');
    assert.equal(m.select(base), 'none');
    assert.equal(m.needsTlsInspection(), true);
  });

  test('transport protocol and application protocols narrow the choice', () => {
    const m = new FilterChainMatcher<string>(undefined);
    m.add(match({ transport_protocol: 'tls' }), 'tls', 'c[0]');
    m.add(match({ transport_protocol: 'tls', application_protocols: ['h2'] }), 'tls-h2', 'c[1]');
    m.add(match({ transport_protocol: 'raw_buffer' }), 'plain', 'c[2]');
    assert.equal(m.select(base), 'plain');
    assert.equal(m.select({ ...base, transportProtocol: 'tls', applicationProtocols: ['h2', 'http/1.1'] }), 'tls-h2');
    assert.equal(m.select({ ...base, transportProtocol: 'tls', applicationProtocols: ['http/1.1'] }), 'tls');
  });

  test('source type, source prefixes and source ports are applied last', () => {
    const m = new FilterChainMatcher<string>('default');
    m.add(match({ source_type: 'SAME_IP_OR_LOOPBACK' }), 'local', 'c[0]');
    m.add(match({ source_prefix_ranges: [{ address_prefix: '192.168.0.0', prefix_len: 16 }], source_ports: [40000] }), 'lan-port', 'c[1]');
    m.add(match({ source_prefix_ranges: [{ address_prefix: '192.168.0.0', prefix_len: 16 }] }), 'lan', 'c[2]');
    assert.equal(m.select({ ...base, sourceIp: '127.0.0.1', directSourceIp: '127.0.0.1' }), 'local');
    assert.equal(m.select(base), 'lan-port');
    assert.equal(m.select({ ...base, sourcePort: 1 }), 'lan');
    assert.equal(m.select({ ...base, sourceIp: '8.8.8.8', directSourceIp: '8.8.8.8' }), 'default');
  });

  test('falls back to the default chain when nothing matches, and rejects duplicate matches', () => {
    const m = new FilterChainMatcher<string>('default');
    m.add(match({ destination_port: 8080 }), 'x', 'c[0]');
    assert.equal(m.select(base), 'default');
    assert.throws(() => m.add(match({ destination_port: 8080 }), 'y', 'filter_chains[1]'), /filter_chains\[1\]: multiple filter chains with the same matching rules/);
  });

  test('rejects malformed wildcard server names with the field path', () => {
    const m = new FilterChainMatcher<string>(undefined);
    assert.throws(() => m.add(match({ server_names: ['a.*.com'] }), 'x', 'fc[0]'), /fc\[0\]\.server_names\[0\]: invalid wildcard server name/);
  });

  test('matches IPv6 prefixes', () => {
    const m = new FilterChainMatcher<string>(undefined);
    m.add(match({ prefix_ranges: [{ address_prefix: 'fd00::', prefix_len: 8 }] }), 'ula', 'c[0]');
    assert.equal(m.select({ ...base, destinationIp: 'fd12:3456::1' }), 'ula');
    assert.equal(m.select({ ...base, destinationIp: '2001:db8::1' }), undefined);
  });
});
