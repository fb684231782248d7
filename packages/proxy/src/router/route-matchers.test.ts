import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertConfigError, compile, fakeRuntime, request, singleHost, type RequestInit } from './route-test-helpers.js';

/** Compiles one route with `match` (plus a fallback that never matches) and says whether `req` selects it. */
function matches(match: object, req: RequestInit, runtime = fakeRuntime()): boolean {
  const table = compile(singleHost([{ name: 'target', match, route: { cluster: 'c' } }]), { runtime });
  return table.select(request(req))?.name === 'target';
}

type Case = [string, object, RequestInit, boolean];

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const [name, match, req, expected] of cases) {
      it(name, () => assert.equal(matches(match, req), expected));
    }
  });
}

table('path matching', [
  ['prefix matches the start of the path', { prefix: '/api' }, { path: '/api/users' }, true],
  ['prefix is not a segment match', { prefix: '/api' }, { path: '/apix' }, true],
  ['prefix does not match elsewhere', { prefix: '/api' }, { path: '/v1/api' }, false],
  ['prefix ignores the query string', { prefix: '/a?x' }, { path: '/a?x=1' }, false],
  ['empty prefix matches everything', { prefix: '' }, { path: '/anything?q' }, true],
  ['prefix is case-sensitive by default', { prefix: '/API' }, { path: '/api' }, false],
  ['case_sensitive false folds ASCII case', { prefix: '/API', case_sensitive: { value: false } }, { path: '/api/x' }, true],
  ['path is exact on the path part', { path: '/a/b' }, { path: '/a/b?x=1' }, true],
  ['path does not match a longer path', { path: '/a/b' }, { path: '/a/b/c' }, false],
  ['path with case_sensitive false', { path: '/A/B', case_sensitive: { value: false } }, { path: '/a/b' }, true],
  ['path ignores a fragment', { path: '/a' }, { path: '/a#frag' }, true],
  ['safe_regex is a full match on the path part', { safe_regex: { regex: '/v[0-9]+/.*' } }, { path: '/v2/items?x=1' }, true],
  ['safe_regex must match the whole path', { safe_regex: { regex: '/v[0-9]+' } }, { path: '/v2/items' }, false],
  ['path_separated_prefix matches the prefix itself', { path_separated_prefix: '/foo' }, { path: '/foo' }, true],
  ['path_separated_prefix matches a sub-path', { path_separated_prefix: '/foo' }, { path: '/foo/bar' }, true],
  ['path_separated_prefix matches with a query', { path_separated_prefix: '/foo' }, { path: '/foo?x=1' }, true],
  ['path_separated_prefix does not match /foobar', { path_separated_prefix: '/foo' }, { path: '/foobar' }, false],
  ['path_separated_prefix honours case_sensitive false', { path_separated_prefix: '/FOO', case_sensitive: { value: false } }, { path: '/foo/x' }, true],
  ['connect_matcher matches CONNECT', { connect_matcher: {} }, { method: 'CONNECT', path: 'example.com:443' }, true],
  ['connect_matcher does not match GET', { connect_matcher: {} }, { method: 'GET', path: '/' }, false],
  ['a prefix route never matches a pathless CONNECT', { prefix: '' }, { method: 'CONNECT', path: 'example.com:443' }, false],
]);

const hdr = (name: string, spec: object): object => ({ prefix: '/', headers: [{ name, ...spec }] });

table('header matching', [
  ['exact_match', hdr('x-a', { exact_match: 'v' }), { headers: [['x-a', 'v']] }, true],
  ['exact_match mismatch', hdr('x-a', { exact_match: 'v' }), { headers: [['x-a', 'w']] }, false],
  ['legacy exact_match with an empty value matches any value', hdr('x-a', { exact_match: '' }), { headers: [['x-a', 'w']] }, true],
  ['prefix_match', hdr('x-a', { prefix_match: 'ab' }), { headers: [['x-a', 'abc']] }, true],
  ['suffix_match', hdr('x-a', { suffix_match: 'bc' }), { headers: [['x-a', 'abc']] }, true],
  ['contains_match', hdr('x-a', { contains_match: 'b' }), { headers: [['x-a', 'abc']] }, true],
  ['safe_regex_match (full match)', hdr('x-a', { safe_regex_match: { regex: 'a.c' } }), { headers: [['x-a', 'abc']] }, true],
  ['safe_regex_match partial does not match', hdr('x-a', { safe_regex_match: { regex: 'b' } }), { headers: [['x-a', 'abc']] }, false],
  ['string_match exact ignore_case', hdr('x-a', { string_match: { exact: 'ABC', ignore_case: true } }), { headers: [['x-a', 'abc']] }, true],
  ['string_match prefix', hdr('x-a', { string_match: { prefix: 'ab' } }), { headers: [['x-a', 'abc']] }, true],
  ['string_match suffix ignore_case', hdr('x-a', { string_match: { suffix: 'BC', ignore_case: true } }), { headers: [['x-a', 'abc']] }, true],
  ['string_match contains ignore_case', hdr('x-a', { string_match: { contains: 'B', ignore_case: true } }), { headers: [['x-a', 'abc']] }, true],
  ['string_match safe_regex', hdr('x-a', { string_match: { safe_regex: { regex: '[a-c]+' } } }), { headers: [['x-a', 'abc']] }, true],
  ['header name is case-insensitive', hdr('X-A', { exact_match: 'v' }), { headers: [['x-a', 'v']] }, true],
  ['a missing header does not match', hdr('x-a', { exact_match: 'v' }), {}, false],
  ['invert_match inverts a mismatch', hdr('x-a', { exact_match: 'v', invert_match: true }), { headers: [['x-a', 'w']] }, true],
  ['invert_match does not turn a missing header into a match', hdr('x-a', { exact_match: 'v', invert_match: true }), {}, false],
  ['treat_missing_header_as_empty matches the empty value', hdr('x-a', { string_match: { exact: '' }, treat_missing_header_as_empty: true }), {}, true],
  ['treat_missing_header_as_empty with invert', hdr('x-a', { range_match: { start: 0, end: 10 }, invert_match: true, treat_missing_header_as_empty: true }), {}, true],
  ['present_match true with header', hdr('x-a', { present_match: true }), { headers: [['x-a', '']] }, true],
  ['present_match true without header', hdr('x-a', { present_match: true }), {}, false],
  ['present_match false without header', hdr('x-a', { present_match: false }), {}, true],
  ['present_match false with header', hdr('x-a', { present_match: false }), { headers: [['x-a', 'v']] }, false],
  ['present_match true inverted without header', hdr('x-a', { present_match: true, invert_match: true }), {}, true],
  ['no specifier means present', hdr('x-a', {}), { headers: [['x-a', 'v']] }, true],
  ['range_match inside [start, end)', hdr('x-n', { range_match: { start: -10, end: 0 } }), { headers: [['x-n', '-1']] }, true],
  ['range_match end is exclusive', hdr('x-n', { range_match: { start: -10, end: 0 } }), { headers: [['x-n', '0']] }, false],
  ['range_match rejects non-numbers', hdr('x-n', { range_match: { start: 0, end: 100 } }), { headers: [['x-n', '5x']] }, false],
  ['range_match allows surrounding spaces and a sign', hdr('x-n', { range_match: { start: 0, end: 100 } }), { headers: [['x-n', ' +5 ']] }, true],
  ['range_match inverted', hdr('x-n', { range_match: { start: -10, end: 0 }, invert_match: true }), { headers: [['x-n', '-1']] }, false],
  ['range_match with 64-bit bounds', hdr('x-n', { range_match: { start: '9007199254740993', end: '9223372036854775807' } }), { headers: [['x-n', '9007199254740993']] }, true],
  ['multiple values are matched joined by commas', hdr('x-a', { exact_match: 'a,b' }), { headers: [['x-a', 'a'], ['x-a', 'b']] }, true],
  ['multiple values do not match one value', hdr('x-a', { exact_match: 'a' }), { headers: [['x-a', 'a'], ['x-a', 'b']] }, false],
  [':method pseudo-header', hdr(':method', { exact_match: 'POST' }), { method: 'POST' }, true],
  [':path pseudo-header includes the query', hdr(':path', { exact_match: '/x?y=1' }), { path: '/x?y=1' }, true],
  [':authority pseudo-header is the Host', hdr(':authority', { exact_match: 'h.com' }), { authority: 'h.com' }, true],
  [':scheme pseudo-header', hdr(':scheme', { exact_match: 'https' }), { scheme: 'https' }, true],
  ['unknown pseudo-header is missing', hdr(':protocol', { present_match: true }), {}, false],
  ['grpc matches application/grpc', { prefix: '/', grpc: {} }, { headers: [['content-type', 'application/grpc+proto']] }, true],
  ['grpc does not match grpc-web', { prefix: '/', grpc: {} }, { headers: [['content-type', 'application/grpc-web']] }, false],
]);

const qp = (spec: object): object => ({ prefix: '/', query_parameters: [{ name: 'q', ...spec }] });

table('query parameter matching', [
  ['string_match exact on the raw value', qp({ string_match: { exact: 'a%20b' } }), { path: '/?q=a%20b' }, true],
  ['values are not percent-decoded', qp({ string_match: { exact: 'a b' } }), { path: '/?q=a%20b' }, false],
  ['the first occurrence is used', qp({ string_match: { exact: '1' } }), { path: '/?q=1&q=2' }, true],
  ['the first occurrence is used (mismatch)', qp({ string_match: { exact: '2' } }), { path: '/?q=1&q=2' }, false],
  ['present_match', qp({ present_match: true }), { path: '/?a=1&q=' }, true],
  ['a parameter without = is present with an empty value', qp({ string_match: { exact: '' } }), { path: '/?q' }, true],
  ['a parameter name is not a prefix match', qp({ present_match: true }), { path: '/?qq=1' }, false],
  ['no query string', qp({ present_match: true }), { path: '/' }, false],
  ['string_match prefix ignore_case', qp({ string_match: { prefix: 'AB', ignore_case: true } }), { path: '/?x=1&q=abc' }, true],
]);

describe('runtime_fraction', () => {
  const match = { prefix: '/', runtime_fraction: { default_value: { numerator: 30, denominator: 'HUNDRED' }, runtime_key: 'rk' } };
  it('matches when random % 100 < numerator', () => {
    let hits = 0;
    for (let r = 0; r < 1000; r++) if (matches(match, { random: r })) hits++;
    assert.equal(hits, 300);
  });
  it('uses the runtime override of the numerator', () => {
    assert.equal(matches(match, { random: 50 }, fakeRuntime({ rk: 60 })), true);
    assert.equal(matches(match, { random: 50 }), false);
  });
  it('supports TEN_THOUSAND and MILLION denominators', () => {
    const tt = { prefix: '/', runtime_fraction: { default_value: { numerator: 1, denominator: 'TEN_THOUSAND' } } };
    assert.equal(matches(tt, { random: 20_000 }), true);
    assert.equal(matches(tt, { random: 20_001 }), false);
    const m = { prefix: '/', runtime_fraction: { default_value: { numerator: 999_999, denominator: 'MILLION' } } };
    assert.equal(matches(m, { random: 999_999 }), false);
  });
});

describe('route order and path parameters', () => {
  it('selects the first matching route', () => {
    const t = compile(singleHost([
      { name: 'one', match: { prefix: '/a' }, route: { cluster: 'c' } },
      { name: 'two', match: { prefix: '/' }, route: { cluster: 'c' } },
    ]));
    assert.equal(t.select(request({ path: '/a/x' }))?.name, 'one');
    assert.equal(t.select(request({ path: '/b' }))?.name, 'two');
  });

  it('ignores ;parameters when ignore_path_parameters_in_path_matching is set', () => {
    const plain = { ...singleHost([{ name: 'p', match: { path: '/a/b' }, route: { cluster: 'c' } }]), ignore_path_parameters_in_path_matching: true };
    assert.equal(compile(plain).select(request({ path: '/a/b;jsessionid=1?x' }))?.name, 'p');
    assert.equal(compile(singleHost([{ name: 'p', match: { path: '/a/b' }, route: { cluster: 'c' } }])).select(request({ path: '/a/b;x' })), undefined);
  });
});

describe('route match config errors', () => {
  const base = (match: object): object => singleHost([{ match, route: { cluster: 'c' } }]);
  const p = 'rc.virtual_hosts[0].routes[0].match';
  const cases: Array<[string, object, string, RegExp?]> = [
    ['a bad path regex', { safe_regex: { regex: '(a' } }, `${p}.safe_regex.regex`, /missing closing/],
    ['a lookahead', { safe_regex: { regex: 'a(?=b)' } }, `${p}.safe_regex.regex`, /lookaround/],
    ['a bad header regex', { prefix: '/', headers: [{ name: 'x', safe_regex_match: { regex: '\\1' } }] }, `${p}.headers[0].safe_regex_match.regex`],
    ['a bad string_match regex', { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex: '[' } } }] }, `${p}.headers[0].string_match.safe_regex.regex`],
    ['ignore_case with safe_regex', { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex: 'a' }, ignore_case: true } }] }, `${p}.headers[0].string_match.ignore_case`],
    ['an empty prefix_match', { prefix: '/', headers: [{ name: 'x', prefix_match: '' }] }, `${p}.headers[0].prefix_match`],
    ['an empty string_match prefix', { prefix: '/', headers: [{ name: 'x', string_match: { prefix: '' } }] }, `${p}.headers[0].string_match.prefix`],
    ['an empty header name', { prefix: '/', headers: [{ name: '', exact_match: 'a' }] }, `${p}.headers[0].name`],
    ['an empty query parameter name', { prefix: '/', query_parameters: [{ name: '' }] }, `${p}.query_parameters[0].name`],
    ['path_separated_prefix ending in /', { path_separated_prefix: '/foo/' }, `${p}.path_separated_prefix`],
    ['path_separated_prefix with ?', { path_separated_prefix: '/fo?o' }, `${p}.path_separated_prefix`],
    ['path_separated_prefix with #', { path_separated_prefix: '/fo#o' }, `${p}.path_separated_prefix`],
    ['tls_context', { prefix: '/', tls_context: { presented: { value: true } } }, `${p}.tls_context`, /not supported/],
    ['dynamic_metadata', { prefix: '/', dynamic_metadata: [{ filter: 'f', path: [{ key: 'k' }], value: { present_match: true } }] }, `${p}.dynamic_metadata`, /not supported/],
    ['path_match_policy', { path_match_policy: { name: 'x', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } } }, `${p}.path_match_policy`, /not supported/],
    ['no path specifier', { headers: [] }, p],
    ['runtime_fraction without default_value', { prefix: '/', runtime_fraction: { runtime_key: 'k' } }, `${p}.runtime_fraction.default_value`],
  ];
  for (const [name, match, path, reason] of cases) {
    it(`rejects ${name} at ${path}`, () => assertConfigError(base(match), path, reason));
  }
  it('rejects a route without match', () => {
    assertConfigError(singleHost([{ route: { cluster: 'c' } }]), 'rc.virtual_hosts[0].routes[0].match', /required/);
  });
});
