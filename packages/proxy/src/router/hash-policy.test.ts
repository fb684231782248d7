import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cookieValue, generateCookieValue, makeSetCookieValue, type CookieAttribute, type HashCookieSink } from './hash-policy.js';
import { HeaderMap } from '../interfaces/header-map.js';
import { assertConfigError, compile, request, singleHost, type RequestInit } from './route-test-helpers.js';
import type { ClusterRouteAction } from './route-action.js';
import { xxh32String } from './xxhash32.js';

function policy(hashPolicy: object[]): ClusterRouteAction {
  const e = compile(singleHost([{ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: hashPolicy } }])).virtualHosts[0]?.routes[0];
  assert.ok(e && e.action.kind === 'route');
  return e.action;
}

const hash = (hashPolicy: object[], req: RequestInit, sink?: HashCookieSink): number | undefined => policy(hashPolicy).computeHash(request(req), sink);
const rotl1 = (h: number): number => ((h << 1) | (h >>> 31)) >>> 0;

describe('xxh32', () => {
  it('matches the reference vectors', () => {
    assert.equal(xxh32String(''), 0x02cc5d05);
    assert.equal(xxh32String('a'), 0x550d7456);
    assert.equal(xxh32String('abc'), 0x32d153ff);
    assert.equal(xxh32String('hello world, this is more than 16 bytes long!'), 0xca423189);
    assert.equal(xxh32String('ünïcødé-строка'), 0xd78ea941);
  });
});

describe('hash policies', () => {
  const header = [{ header: { header_name: 'X-User' } }];

  it('hashes a header: stable for the same value, different for different values', () => {
    const a1 = hash(header, { headers: [['x-user', 'alice']] });
    assert.equal(a1, xxh32String('alice'));
    assert.equal(hash(header, { headers: [['x-user', 'alice']] }), a1);
    assert.notEqual(hash(header, { headers: [['x-user', 'bob']] }), a1);
    assert.equal(hash(header, {}), undefined);
  });

  it('hashes multiple header values independently of their order', () => {
    const ab = hash(header, { headers: [['x-user', 'a'], ['x-user', 'b']] });
    assert.equal(hash(header, { headers: [['x-user', 'b'], ['x-user', 'a']] }), ab);
    assert.notEqual(ab, hash(header, { headers: [['x-user', 'a']] }));
  });

  it('applies the header regex_rewrite before hashing', () => {
    const p = [{ header: { header_name: 'x-path', regex_rewrite: { pattern: { regex: '^/([^/]+)/.*$' }, substitution: '\\1' } } }];
    assert.equal(hash(p, { headers: [['x-path', '/tenant1/a']] }), hash(p, { headers: [['x-path', '/tenant1/b']] }));
  });

  it('hashes pseudo-headers', () => {
    assert.equal(hash([{ header: { header_name: ':authority' } }], { authority: 'h.com' }), xxh32String('h.com'));
  });

  it('hashes the source IP', () => {
    const p = [{ connection_properties: { source_ip: true } }];
    assert.equal(hash(p, { sourceIp: '10.0.0.7' }), xxh32String('10.0.0.7'));
    assert.equal(hash([{ connection_properties: { source_ip: false } }], {}), undefined);
  });

  it('hashes a raw query parameter value', () => {
    const p = [{ query_parameter: { name: 'session' } }];
    assert.equal(hash(p, { path: '/x?a=1&session=s%201' }), xxh32String('s%201'));
    assert.equal(hash(p, { path: '/x?sessionx=1' }), undefined);
  });

  it('hashes a cookie value, quotes removed', () => {
    const p = [{ cookie: { name: 'sid' } }];
    assert.equal(hash(p, { headers: [['cookie', 'a=1; sid="abc"'], ['cookie', 'sid=zzz']] }), xxh32String('abc'));
    assert.equal(hash(p, { headers: [['cookie', 'sidx=1']] }), undefined);
  });

  it('asks the sink to generate a cookie when a ttl is set and the cookie is absent', () => {
    const calls: Array<[string, string, number, readonly CookieAttribute[]]> = [];
    const sink: HashCookieSink = {
      generateCookie(name, path, ttl, attrs) {
        calls.push([name, path, ttl, attrs]);
        return 'generated';
      },
    };
    const p = [{ cookie: { name: 'sid', path: '/app', ttl: { seconds: 60 }, attributes: [{ name: 'SameSite', value: 'Lax' }] } }];
    assert.equal(hash(p, {}, sink), xxh32String('generated'));
    assert.deepEqual(calls, [['sid', '/app', 60, [{ name: 'SameSite', value: 'Lax' }]]]);
    assert.equal(hash(p, { headers: [['cookie', 'sid=present']] }, sink), xxh32String('present'));
    assert.equal(calls.length, 1);
    assert.equal(hash(p, {}), undefined); // no sink: no hash
    assert.equal(hash([{ cookie: { name: 'sid' } }], {}, sink), undefined); // no ttl: no generation
  });

  it('combines policies as rotl1(hash) ^ next', () => {
    const p = [{ header: { header_name: 'x-a' } }, { header: { header_name: 'x-b' } }];
    const expected = (rotl1(xxh32String('1')) ^ xxh32String('2')) >>> 0;
    assert.equal(hash(p, { headers: [['x-a', '1'], ['x-b', '2']] }), expected);
    // Identical rules do not cancel out.
    const dup = [{ header: { header_name: 'x-a' } }, { header: { header_name: 'x-a' } }];
    assert.notEqual(hash(dup, { headers: [['x-a', '1']] }), 0);
    // A policy that yields nothing is skipped.
    assert.equal(hash(p, { headers: [['x-b', '2']] }), xxh32String('2'));
  });

  it('stops at a terminal policy that produced a hash', () => {
    const p = [{ header: { header_name: 'x-a' }, terminal: true }, { header: { header_name: 'x-b' } }];
    assert.equal(hash(p, { headers: [['x-a', '1'], ['x-b', '2']] }), xxh32String('1'));
    assert.equal(hash(p, { headers: [['x-b', '2']] }), xxh32String('2')); // terminal without a hash does not stop
  });

  it('formats Set-Cookie like Envoy and generates stable 16-hex-digit values', () => {
    assert.equal(makeSetCookieValue('sid', 'v', '/p', 60, true, [{ name: 'Secure', value: '' }, { name: 'SameSite', value: 'Lax' }]), 'sid="v"; Max-Age=60; Path=/p; Secure; SameSite=Lax; HttpOnly');
    assert.equal(makeSetCookieValue('sid', 'v', '', 0, false, []), 'sid="v"');
    assert.match(generateCookieValue('1.2.3.4:5', '5.6.7.8:80'), /^[0-9a-f]{16}$/);
    assert.equal(generateCookieValue('a', 'b'), generateCookieValue('a', 'b'));
  });

  it('finds cookies across headers with leading spaces', () => {
    assert.equal(cookieValue(HeaderMap.from([['cookie', 'x=1;   y=2']]), 'y'), '2');
    assert.equal(cookieValue(HeaderMap.from([['cookie', 'novalue; y=']]), 'y'), '');
  });

  it('returns no hash policy for an empty list', () => {
    assert.equal(policy([]).hashPolicy, undefined);
  });

  it('rejects filter_state and incomplete policies with their path', () => {
    const p = 'rc.virtual_hosts[0].routes[0].route.hash_policy';
    const at = (hp: object[]): object => singleHost([{ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: hp } }]);
    assertConfigError(at([{ header: { header_name: 'a' } }, { filter_state: { key: 'k' } }]), `${p}[1].filter_state`, /not supported/);
    assertConfigError(at([{ header: { header_name: '' } }]), `${p}[0].header.header_name`);
    assertConfigError(at([{ query_parameter: { name: '' } }]), `${p}[0].query_parameter.name`);
    assertConfigError(at([{ cookie: { name: '' } }]), `${p}[0].cookie.name`);
    assertConfigError(at([{ terminal: true }]), `${p}[0]`, /required/);
  });
});
