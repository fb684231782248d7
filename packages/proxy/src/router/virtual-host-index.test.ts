import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertConfigError, compile, request } from './route-test-helpers.js';
import type { StripPortMode } from './virtual-host-index.js';

const route = [{ match: { prefix: '/' }, route: { cluster: 'c' } }];

function hosts(domainsByName: Record<string, string[]>, extra: object = {}): object {
  return {
    name: 'rc',
    virtual_hosts: Object.entries(domainsByName).map(([name, domains]) => ({ name, domains, routes: route })),
    ...extra,
  };
}

describe('virtual host selection', () => {
  const table = compile(
    hosts({
      exact: ['foo.example.com', 'Mixed.Case.com', 'api.local:8080'],
      suffix: ['*.example.com'],
      longSuffix: ['*-bar.example.com'],
      prefix: ['foo.*'],
      longPrefix: ['foo.example.*'],
      catchAll: ['*'],
    }),
  );
  const cases: Array<[string, string]> = [
    ['foo.example.com', 'exact'], // exact beats every wildcard
    ['FOO.Example.COM', 'exact'], // case-insensitive
    ['mixed.case.com', 'exact'],
    ['x.example.com', 'suffix'],
    ['baz-bar.example.com', 'longSuffix'], // longest suffix wins
    ['.example.com', 'catchAll'], // '*' must match at least one character
    ['foo.example.org', 'longPrefix'], // suffix checked before prefix; longest prefix wins
    ['foo.bar', 'prefix'],
    ['api.local:8080', 'exact'], // ports are part of the domain by default
    ['api.local', 'catchAll'],
    ['foo.example.com:80', 'longPrefix'], // host with port does not match the exact domain
    ['other.org', 'catchAll'],
  ];
  for (const [host, expected] of cases) {
    it(`routes Host ${host} to ${expected}`, () => {
      assert.equal(table.selectVirtualHost(request({ authority: host }))?.name, expected);
    });
  }

  it('prefers a suffix wildcard over a longer prefix wildcard', () => {
    const t = compile(hosts({ suffix: ['*.com'], prefix: ['www.example.*'] }));
    assert.equal(t.selectVirtualHost(request({ authority: 'www.example.com' }))?.name, 'suffix');
  });

  it('returns undefined when nothing matches and there is no catch-all', () => {
    const t = compile(hosts({ only: ['a.com'] }));
    assert.equal(t.select(request({ authority: 'b.com' })), undefined);
  });

  const portCases: Array<[StripPortMode, boolean, string, number | undefined, string]> = [
    ['none', false, 'a.com:8080', 8080, 'catchAll'],
    ['any', false, 'a.com:8080', undefined, 'a'],
    ['matching', false, 'a.com:8080', 8080, 'a'],
    ['matching', false, 'a.com:9090', 8080, 'catchAll'],
    ['none', true, 'a.com:9090', undefined, 'a'], // ignore_port_in_host_matching
    ['any', false, '[::1]:80', undefined, 'v6'],
    ['any', false, '[::1]', undefined, 'v6'],
  ];
  for (const [mode, ignorePort, host, localPort, expected] of portCases) {
    it(`with strip mode ${mode}${ignorePort ? ' and ignore_port_in_host_matching' : ''} routes ${host} to ${expected}`, () => {
      const t = compile(hosts({ a: ['a.com'], v6: ['[::1]'], catchAll: ['*'] }, { ignore_port_in_host_matching: ignorePort }), { stripPortMode: mode });
      assert.equal(t.selectVirtualHost(request({ authority: host, ...(localPort ? { localPort } : {}) }))?.name, expected);
    });
  }

  it('keeps the port of a CONNECT authority when stripping matching ports', () => {
    const t = compile(hosts({ a: ['a.com'], catchAll: ['*'] }), { stripPortMode: 'matching' });
    assert.equal(t.selectVirtualHost(request({ authority: 'a.com:443', method: 'CONNECT', path: 'a.com:443', localPort: 443 }))?.name, 'catchAll');
  });

  it('rejects a duplicate domain across virtual hosts, case-insensitively', () => {
    assertConfigError(hosts({ one: ['a.com'], two: ['b.com', 'A.COM'] }), 'rc.virtual_hosts[1].domains[1]', /duplicate domain 'A.COM'.*'one'/);
  });

  it('rejects a second catch-all', () => {
    assertConfigError(hosts({ one: ['*'], two: ['*'] }), 'rc.virtual_hosts[1].domains[0]', /duplicate/);
  });

  it('rejects wildcards in the middle or more than once', () => {
    assertConfigError(hosts({ one: ['a.*.com'] }), 'rc.virtual_hosts[0].domains[0]', /may only appear once/);
    assertConfigError(hosts({ one: ['ok.com', '*.foo.*'] }), 'rc.virtual_hosts[0].domains[1]', /may only appear once/);
  });

  it('rejects a virtual host without domains or name', () => {
    assertConfigError({ virtual_hosts: [{ name: 'v', routes: route }] }, 'rc.virtual_hosts[0].domains');
    assertConfigError({ virtual_hosts: [{ domains: ['*'], routes: route }] }, 'rc.virtual_hosts[0].name');
  });
});
