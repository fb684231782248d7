import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@weft/api';
import { HeaderMap } from '../interfaces/header-map.js';
import { compileHeaderFormat } from './header-formatter.js';
import { assertConfigError, compile, formatContext, request } from './route-test-helpers.js';
import { applyRequestMutations, applyResponseMutations, type RouteEntry } from './route-table.js';

const add = (key: string, value: string, extra: object = {}): object => ({ header: { key, value }, ...extra });

/** One vhost with one route; each level may add/remove request and response headers. */
function entry(levels: { config?: object; vhost?: object; route?: object; routeAction?: object }, mostSpecificWins = false): RouteEntry {
  const t = compile({
    most_specific_header_mutations_wins: mostSpecificWins,
    ...levels.config,
    virtual_hosts: [{ name: 'v', domains: ['*'], ...levels.vhost, routes: [{ match: { prefix: '/' }, route: { cluster: 'c', ...levels.routeAction }, ...levels.route }] }],
  });
  const e = t.select(request());
  assert.ok(e);
  return e;
}

function applied(e: RouteEntry, initial: Array<[string, string]> = []): Array<[string, string]> {
  const h = HeaderMap.from(initial);
  applyRequestMutations(e, h, formatContext({ requestHeaders: h }));
  return h.names.map((n, i) => [n, h.values[i] as string]);
}

describe('header mutation order', () => {
  const OW = { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
  const levels = {
    config: { request_headers_to_add: [add('x-level', 'config', OW)] },
    vhost: { request_headers_to_add: [add('x-level', 'vhost', OW)] },
    route: { request_headers_to_add: [add('x-level', 'route', OW)] },
  };

  it('applies route, then virtual host, then route config by default (route config wins an overwrite)', () => {
    assert.deepEqual(applied(entry(levels)), [['x-level', 'config']]);
  });

  it('reverses the order with most_specific_header_mutations_wins (route wins)', () => {
    assert.deepEqual(applied(entry(levels, true)), [['x-level', 'route']]);
  });

  it('appends in level order by default', () => {
    const e = entry({
      config: { request_headers_to_add: [add('x-a', 'config')] },
      vhost: { request_headers_to_add: [add('x-a', 'vhost')] },
      route: { request_headers_to_add: [add('x-a', 'route')] },
    });
    assert.deepEqual(applied(e), [['x-a', 'route'], ['x-a', 'vhost'], ['x-a', 'config']]);
  });

  it('applies the weighted cluster level first', () => {
    const e = entry({
      route: { request_headers_to_add: [add('x-a', 'route')] },
      routeAction: { cluster: undefined, weighted_clusters: { clusters: [{ name: 'w', weight: { value: 1 }, request_headers_to_add: [add('x-a', 'cluster')], response_headers_to_add: [add('x-r', 'cluster')] }] } },
    });
    assert.ok(e.action.kind === 'route');
    const picked = e.action.pickCluster(request());
    const h = new HeaderMap();
    applyRequestMutations(e, h, formatContext({ requestHeaders: h }), picked?.weighted);
    assert.deepEqual(h.getAll('x-a'), ['cluster', 'route']);
    const resp = new HeaderMap();
    applyResponseMutations(e, resp, formatContext(), picked?.weighted);
    assert.deepEqual(resp.getAll('x-r'), ['cluster']);
  });

  it('removes before adding within a level, and levels remove what earlier levels added', () => {
    const e = entry({
      route: { request_headers_to_add: [add('x-tmp', 'r')], request_headers_to_remove: ['x-old'] },
      vhost: { request_headers_to_remove: ['X-Tmp'] },
    });
    assert.deepEqual(applied(e, [['x-old', '1'], ['x-keep', '2']]), [['x-keep', '2']]);
  });

  it('applies response mutations at every level', () => {
    const e = entry({
      config: { response_headers_to_add: [add('x-c', '1')], response_headers_to_remove: ['server'] },
      vhost: { response_headers_to_add: [add('x-v', '1')] },
      route: { response_headers_to_add: [add('x-r', '1')] },
    });
    const h = HeaderMap.from([['server', 'upstream']]);
    applyResponseMutations(e, h, formatContext({ responseHeaders: h }));
    assert.deepEqual(h.names, ['x-r', 'x-v', 'x-c']);
  });
});

describe('append actions', () => {
  const cases: Array<[string, object, Array<[string, string]>, string[]]> = [
    ['APPEND_IF_EXISTS_OR_ADD appends', { append_action: 'APPEND_IF_EXISTS_OR_ADD' }, [['x-a', 'old']], ['old', 'new']],
    ['APPEND_IF_EXISTS_OR_ADD adds', { append_action: 'APPEND_IF_EXISTS_OR_ADD' }, [], ['new']],
    ['ADD_IF_ABSENT keeps an existing value', { append_action: 'ADD_IF_ABSENT' }, [['x-a', 'old']], ['old']],
    ['ADD_IF_ABSENT adds when absent', { append_action: 'ADD_IF_ABSENT' }, [], ['new']],
    ['OVERWRITE_IF_EXISTS_OR_ADD replaces every value', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }, [['x-a', 'o1'], ['x-a', 'o2']], ['new']],
    ['OVERWRITE_IF_EXISTS_OR_ADD adds', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }, [], ['new']],
    ['OVERWRITE_IF_EXISTS replaces', { append_action: 'OVERWRITE_IF_EXISTS' }, [['x-a', 'old']], ['new']],
    ['OVERWRITE_IF_EXISTS does not add', { append_action: 'OVERWRITE_IF_EXISTS' }, [], []],
    ['deprecated append true appends', { append: { value: true } }, [['x-a', 'old']], ['old', 'new']],
    ['deprecated append false overwrites', { append: { value: false } }, [['x-a', 'old']], ['new']],
  ];
  for (const [name, extra, initial, expected] of cases) {
    it(name, () => {
      const e = entry({ route: { request_headers_to_add: [add('x-a', 'new', extra)] } });
      assert.deepEqual(applied(e, initial).filter(([n]) => n === 'x-a').map(([, v]) => v), expected);
    });
  }

  it('skips empty values unless keep_empty_value', () => {
    const e = entry({ route: { request_headers_to_add: [add('x-empty', '%REQ(x-missing)%'), add('x-kept', '%REQ(x-missing)%', { keep_empty_value: true })] } });
    assert.deepEqual(applied(e), [['x-kept', '']]);
  });

  it('formats every value of a level against the headers before that level changes them', () => {
    const e = entry({ route: { request_headers_to_add: [add('x-a', 'changed', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }), add('x-copy', '%REQ(x-a)%')] } });
    assert.deepEqual(applied(e, [['x-a', 'orig']]), [['x-a', 'changed'], ['x-copy', 'orig']]);
  });
});

describe('header value formatter', () => {
  const ctx = formatContext({ requestHeaders: HeaderMap.from([['x-user', 'alice'], ['x-long', 'abcdef']]), responseHeaders: HeaderMap.from([['x-up', 'u1']]) });
  const cases: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['100%% sure', '100% sure'],
    ['%DOWNSTREAM_REMOTE_ADDRESS%', '10.1.2.3:5555'],
    ['%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.1.2.3'],
    ['%DOWNSTREAM_LOCAL_ADDRESS%', '[::1]:8080'],
    ['%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%', '::1'],
    ['%UPSTREAM_REMOTE_ADDRESS%', '10.9.9.9:80'],
    ['%UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.9.9.9'],
    ['user=%REQ(X-User)%;', 'user=alice;'],
    ['%REQ(x-missing?x-user)%', 'alice'],
    ['%REQ(x-long):3%', 'abc'],
    ['%REQ(x-missing)%', ''],
    ['%RESP(x-up)%', 'u1'],
    ['%PROTOCOL%', 'HTTP/1.1'],
    ['%START_TIME%', '2024-02-29T13:04:05.678Z'],
    ['%START_TIME(%s)%', '1709211845'],
    ['%START_TIME(%Y/%m/%d %H:%M:%S.%3f %z)%', '2024/02/29 13:04:05.678 +0000'],
    ['%START_TIME(%F %T %E6S %j %a %b)%', '2024-02-29 13:04:05 05.678000 060 Thu Feb'],
    ['%HOSTNAME%', 'node-1'],
    ['%UPSTREAM_CLUSTER%', 'backend'],
    ['a-%HOSTNAME%-%PROTOCOL%-b', 'a-node-1-HTTP/1.1-b'],
  ];
  for (const [format, expected] of cases) {
    it(`formats ${format}`, () => assert.equal(compileHeaderFormat(format, 'p').format(ctx), expected));
  }

  const bad: Array<[string, RegExp]> = [
    ['%NOPE%', /unsupported command operator %NOPE%/],
    ['50%', /no valid command operator at position 2/],
    ['%REQ()%', /needs a header name/],
    ['%HOSTNAME(x)%', /does not take arguments/],
    ['%START_TIME(%Q)%', /unsupported START_TIME format specifier %Q/],
    ['%UPSTREAM_METADATA(["a","b"])%', /unsupported command operator/],
  ];
  for (const [format, reason] of bad) {
    it(`rejects ${format}`, () => {
      assert.throws(() => compileHeaderFormat(format, 'x.header.value'), (err: unknown) => err instanceof ConfigError && err.path === 'x.header.value' && reason.test(err.reason));
    });
  }
});

describe('header mutation config errors', () => {
  const route = (r: object): object => ({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, ...r }] }] });
  const p = 'rc.virtual_hosts[0].routes[0]';
  it('rejects removing a pseudo-header or host', () => {
    assertConfigError(route({ request_headers_to_remove: ['x-ok', ':path'] }), `${p}.request_headers_to_remove[1]`, /may not be removed/);
    assertConfigError(route({ request_headers_to_remove: ['Host'] }), `${p}.request_headers_to_remove[0]`, /may not be removed/);
  });
  it('rejects adding a pseudo-header or host', () => {
    assertConfigError(route({ request_headers_to_add: [add(':authority', 'x')] }), `${p}.request_headers_to_add[0].header.key`, /may not be modified/);
    assertConfigError({ virtual_hosts: [{ name: 'v', domains: ['*'], response_headers_to_add: [add('host', 'x')], routes: [] }] }, 'rc.virtual_hosts[0].response_headers_to_add[0].header.key');
  });
  it('rejects an unknown command operator with the value path', () => {
    assertConfigError({ request_headers_to_add: [add('x', '%BOGUS%')], virtual_hosts: [] }, 'rc.request_headers_to_add[0].header.value', /BOGUS/);
  });
  it('rejects append together with a non-default append_action', () => {
    assertConfigError(route({ response_headers_to_add: [add('x', 'y', { append: { value: true }, append_action: 'ADD_IF_ABSENT' })] }), `${p}.response_headers_to_add[0].append`);
  });
  it('rejects a weighted cluster header error with its path', () => {
    const r = { weighted_clusters: { clusters: [{ name: 'w', weight: { value: 1 }, request_headers_to_remove: [':method'] }] } };
    assertConfigError({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: r }] }] }, `${p}.route.weighted_clusters.clusters[0].request_headers_to_remove[0]`);
  });
});
