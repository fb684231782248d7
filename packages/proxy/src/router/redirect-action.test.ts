import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DirectResponseRouteAction } from './direct-response.js';
import type { RedirectRouteAction } from './redirect-action.js';
import { assertConfigError, compile, request, singleHost, type RequestInit } from './route-test-helpers.js';

function redirect(spec: object, match: object = { prefix: '/' }): RedirectRouteAction {
  const entry = compile(singleHost([{ match, redirect: spec }])).virtualHosts[0]?.routes[0];
  assert.ok(entry && entry.action.kind === 'redirect');
  assert.equal(entry.kind, 'redirect');
  return entry.action;
}

function direct(spec: object, extra: object = {}): DirectResponseRouteAction {
  const entry = compile({ ...singleHost([{ match: { prefix: '/' }, direct_response: spec }]), ...extra }).virtualHosts[0]?.routes[0];
  assert.ok(entry && entry.action.kind === 'direct_response');
  return entry.action;
}

describe('redirects', () => {
  const base: RequestInit = { authority: 'www.example.com', path: '/old/page?x=1' };
  const cases: Array<[string, object, RequestInit, string, object?]> = [
    ['keeps scheme, host and path by default', {}, base, 'http://www.example.com/old/page?x=1'],
    ['https_redirect changes the scheme', { https_redirect: true }, base, 'https://www.example.com/old/page?x=1'],
    ['scheme_redirect sets any scheme', { scheme_redirect: 'ws' }, base, 'ws://www.example.com/old/page?x=1'],
    ['https_redirect drops the old default port :80', { https_redirect: true }, { ...base, authority: 'a.com:80' }, 'https://a.com/old/page?x=1'],
    ['https_redirect keeps a non-default port', { https_redirect: true }, { ...base, authority: 'a.com:8080' }, 'https://a.com:8080/old/page?x=1'],
    ['a redirect from https drops :443 when going to http', { scheme_redirect: 'http' }, { ...base, authority: 'a.com:443', scheme: 'https' }, 'http://a.com/old/page?x=1'],
    ['x-forwarded-proto decides the old scheme', { https_redirect: true }, { ...base, authority: 'a.com:80', headers: [['x-forwarded-proto', 'https']] }, 'https://a.com:80/old/page?x=1'],
    ['host_redirect replaces the host', { host_redirect: 'new.example.com' }, base, 'http://new.example.com/old/page?x=1'],
    ['port_redirect replaces the port', { port_redirect: 8443 }, { ...base, authority: 'a.com:8080' }, 'http://a.com:8443/old/page?x=1'],
    ['port_redirect on an IPv6 host', { port_redirect: 8443 }, { ...base, authority: '[::1]:80' }, 'http://[::1]:8443/old/page?x=1'],
    ['host_redirect with port_redirect', { host_redirect: 'b.com', port_redirect: 99 }, base, 'http://b.com:99/old/page?x=1'],
    ['path_redirect keeps the request query', { path_redirect: '/new' }, base, 'http://www.example.com/new?x=1'],
    ['path_redirect with its own query wins', { path_redirect: '/new?y=2' }, base, 'http://www.example.com/new?y=2'],
    ['path_redirect with its own query is never stripped', { path_redirect: '/new?y=2', strip_query: true }, base, 'http://www.example.com/new?y=2'],
    ['strip_query removes the request query', { strip_query: true }, base, 'http://www.example.com/old/page'],
    ['strip_query with path_redirect', { path_redirect: '/new', strip_query: true }, base, 'http://www.example.com/new'],
    ['path_redirect without a leading slash gets one', { path_redirect: 'new' }, { ...base, path: '/p' }, 'http://www.example.com/new'],
    ['prefix_rewrite rewrites the matched prefix', { prefix_rewrite: '/new' }, base, 'http://www.example.com/new/page?x=1', { prefix: '/old' }],
    ['prefix_rewrite with strip_query', { prefix_rewrite: '/new', strip_query: true }, base, 'http://www.example.com/new/page', { prefix: '/old' }],
    ['regex_rewrite rewrites the path part', { regex_rewrite: { pattern: { regex: '^/old/(.*)$' }, substitution: '/v2/\\1' } }, base, 'http://www.example.com/v2/page?x=1'],
    ['all fields together', { https_redirect: true, host_redirect: 'c.com', port_redirect: 4443, path_redirect: '/z', strip_query: true }, base, 'https://c.com:4443/z'],
  ];
  for (const [name, spec, req, expected, match] of cases) {
    it(name, () => assert.equal(redirect(spec, match).redirectLocation(request(req)), expected));
  }

  const codes: Array<[string | undefined, number]> = [
    [undefined, 301],
    ['MOVED_PERMANENTLY', 301],
    ['FOUND', 302],
    ['SEE_OTHER', 303],
    ['TEMPORARY_REDIRECT', 307],
    ['PERMANENT_REDIRECT', 308],
  ];
  for (const [code, status] of codes) {
    it(`response_code ${code ?? 'unset'} is ${status}`, () => assert.equal(redirect(code ? { response_code: code } : {}).status, status));
  }

  it('rejects a bad regex_rewrite with its path', () => {
    assertConfigError(singleHost([{ match: { prefix: '/' }, redirect: { regex_rewrite: { pattern: { regex: '(?=x)' }, substitution: '' } } }]), 'rc.virtual_hosts[0].routes[0].redirect.regex_rewrite.pattern.regex', /lookaround/);
  });
});

describe('require_tls', () => {
  const plain = (tls: string): object => ({
    virtual_hosts: [{ name: 'v', domains: ['*'], require_tls: tls, routes: [{ name: 'r', match: { prefix: '/' }, route: { cluster: 'c' } }] }],
  });

  it('ALL redirects plain-text requests to https with host and path unchanged', () => {
    const e = compile(plain('ALL')).select(request({ authority: 'a.com:8080', path: '/x?y' }));
    assert.ok(e && e.action.kind === 'redirect');
    assert.equal(e.action.status, 301);
    assert.equal(e.action.redirectLocation(request({ authority: 'a.com:8080', path: '/x?y' })), 'https://a.com:8080/x?y');
    assert.equal(compile(plain('ALL')).select(request({ scheme: 'https' }))?.name, 'r');
  });

  it('EXTERNAL_ONLY lets internal requests through', () => {
    const t = compile(plain('EXTERNAL_ONLY'));
    assert.equal(t.select(request({ headers: [['x-envoy-internal', 'true']] }))?.name, 'r');
    assert.equal(t.select(request())?.kind, 'redirect');
  });
});

describe('direct responses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-router-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves an inline string', () => {
    const a = direct({ status: 200, body: { inline_string: 'hello' } });
    assert.equal(a.status, 200);
    assert.equal(a.body, 'hello');
  });

  it('serves inline bytes exactly', () => {
    assert.deepEqual([...direct({ status: 503, body: { inline_bytes: Buffer.from([0, 255, 1]) } }).bodyBytes], [0, 255, 1]);
  });

  it('reads a file at compile time', () => {
    const file = join(dir, 'body.txt');
    writeFileSync(file, 'from file');
    assert.equal(direct({ status: 404, body: { filename: file } }).body, 'from file');
  });

  it('has an empty body when none is configured', () => {
    assert.equal(direct({ status: 204 }).body, '');
  });

  const p = 'rc.virtual_hosts[0].routes[0].direct_response';
  const at = (spec: object, extra: object = {}): object => ({ ...singleHost([{ match: { prefix: '/' }, direct_response: spec }]), ...extra });
  it('rejects a missing file', () => assertConfigError(at({ status: 200, body: { filename: join(dir, 'missing') } }), `${p}.body.filename`, /does not exist/));
  it('rejects a status outside [200, 600)', () => assertConfigError(at({ status: 600 }), `${p}.status`));
  it('rejects a body over the 4096-byte default limit', () => assertConfigError(at({ status: 200, body: { inline_string: 'x'.repeat(4097) } }), `${p}.body`, /maximum is 4096/));
  it('honours max_direct_response_body_size_bytes', () => {
    assert.equal(direct({ status: 200, body: { inline_string: 'x'.repeat(5000) } }, { max_direct_response_body_size_bytes: { value: 8192 } }).body.length, 5000);
    assertConfigError(at({ status: 200, body: { inline_string: 'xxxx' } }, { max_direct_response_body_size_bytes: { value: 3 } }), `${p}.body`, /maximum is 3/);
  });
});
