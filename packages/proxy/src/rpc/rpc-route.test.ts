import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, normalizeMessage } from '@weft/api';
import type { Route__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/Route.js';
import { RpcProtocolError, type RpcFrame } from '../interfaces/rpc-codec.js';
import { compileRpcRoute, DEFAULT_RPC_TIMEOUT_MS, RangeParameterMatch, RetryOn } from './rpc-route.js';

function frame(f: Partial<RpcFrame> & { argv?: unknown[] | 'bad' }): RpcFrame {
  return {
    kind: 'request',
    oneway: false,
    heartbeat: false,
    requestId: 1,
    bytes: Buffer.alloc(0),
    size: 0,
    service: f.service ?? 'svc',
    method: f.method ?? 'm',
    version: f.version ?? '',
    group: f.group ?? '',
    application: f.application ?? '',
    headers: f.headers ?? new Map(),
    requestTimeoutMs: 0,
    status: 'ok',
    args() {
      if (f.argv === 'bad') throw new RpcProtocolError('cannot decode');
      return f.argv ?? [];
    },
  };
}

const deps = { hasCluster: (n: string): boolean => n === 'c' || n === 'd' };

function route(r: object): ReturnType<typeof compileRpcRoute> {
  return compileRpcRoute(normalizeMessage<Route__Output>('weft.extensions.filters.network.rpc_proxy.v1.Route', r), 'routes[0]', deps);
}

describe('compileRpcRoute', () => {
  it('matches every given attribute, headers case-insensitively by name', () => {
    const r = route({
      match: {
        service: { prefix: 'com.acme.' },
        method: { exact: 'get', ignore_case: true },
        version: { exact: '1.0' },
        headers: [{ name: 'Tenant', string_match: { exact: 'gold' } }],
      },
      route: { cluster: 'c' },
    });
    const headers = new Map([['tenant', 'gold']]);
    assert.equal(r.matches(frame({ service: 'com.acme.A', method: 'GET', version: '1.0', headers })), true);
    assert.equal(r.matches(frame({ service: 'com.acme.A', method: 'GET', version: '1.0', headers: new Map([['TENANT', 'gold']]) })), true);
    assert.equal(r.matches(frame({ service: 'com.acme.A', method: 'GET', version: '2.0', headers })), false);
    assert.equal(r.matches(frame({ service: 'org.A', method: 'get', version: '1.0', headers })), false);
    assert.equal(r.matches(frame({ service: 'com.acme.A', method: 'get', version: '1.0' })), false);
  });

  it('matches parameters by their string form and surfaces undecodable arguments', () => {
    const r = route({ match: { parameters: [{ index: 0, value: { exact: '42' } }, { index: 1, value: { exact: 'true' } }] }, route: { cluster: 'c' } });
    assert.equal(r.matches(frame({ argv: [42, true] })), true);
    assert.equal(r.matches(frame({ argv: ['42', 'true'] })), true);
    assert.equal(r.matches(frame({ argv: [42] })), false);
    assert.equal(r.matches(frame({ argv: [{ v: 42 }, true] })), false);
    assert.throws(() => r.matches(frame({ argv: 'bad' })), RpcProtocolError);
  });

  it('matches integer ranges [start, end)', () => {
    const m = new RangeParameterMatch(0, 10n, 20n);
    assert.deepEqual([9, 10, 19, 20, '15', 'x', 1.5].map((v) => m.matches(v)), [false, true, true, false, true, false, false]);
  });

  it('applies defaults and picks weighted clusters by weight', () => {
    const r = route({ match: {}, route: { weighted_clusters: { clusters: [{ name: 'c', weight: 1 }, { name: 'd', weight: 3 }] } } });
    assert.equal(r.timeoutMs, DEFAULT_RPC_TIMEOUT_MS);
    assert.equal(r.retry, undefined);
    assert.deepEqual([0, 1, 2, 3, 4].map((n) => r.pickCluster(n).name), ['c', 'd', 'd', 'd', 'c']);
  });

  it('keeps a retry policy only for idempotent routes or when forced', () => {
    const policy = { retry_on: 'reset, connect-failure', num_retries: { value: 3 } };
    assert.equal(route({ match: {}, route: { cluster: 'c', retry_policy: policy } }).retry, undefined);
    assert.deepEqual(route({ match: {}, route: { cluster: 'c', idempotent: true, retry_policy: policy } }).retry, {
      retryOn: RetryOn.RESET | RetryOn.CONNECT_FAILURE,
      numRetries: 3,
    });
    assert.equal(route({ match: {}, route: { cluster: 'c', retry_policy: { ...policy, retry_non_idempotent: true } } }).retry?.numRetries, 3);
  });

  it('refuses unknown clusters and mirror clusters with their paths', () => {
    assert.throws(() => route({ match: {}, route: { cluster: 'x' } }), (e: unknown) => e instanceof ConfigError && e.message.startsWith('routes[0].route.cluster:'));
    assert.throws(
      () => route({ match: {}, route: { cluster: 'c', request_mirror_policies: [{ cluster: 'x' }] } }),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('routes[0].route.request_mirror_policies[0].cluster:'),
    );
  });
});
