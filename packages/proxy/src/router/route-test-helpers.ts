// Shared helpers for the router unit tests (not used by production code).
import { ConfigError, normalizeMessage } from '@weft/api';
import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteConfiguration.js';
import assert from 'node:assert/strict';
import { HeaderMap } from '../interfaces/header-map.js';
import type { Runtime } from '../interfaces/runtime.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import type { HeaderFormatContext } from './header-formatter.js';
import type { RouteRequest } from './route-request.js';
import { compileRouteConfiguration, type RouteDeps, type RouteTable } from './route-table.js';

/** A runtime whose keys come from `values`; featureEnabled is Envoy's `random % denominator < numerator`. */
export function fakeRuntime(values: Readonly<Record<string, number>> = {}): Runtime {
  return {
    getNumber: (key, def) => values[key] ?? def,
    getBoolean: (key, def) => (key in values ? values[key] !== 0 : def),
    featureEnabled: (key, numerator, denominator, random) => random % denominator < (values[key] ?? numerator),
  };
}

export interface RequestInit {
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly method?: string;
  readonly path?: string;
  readonly authority?: string;
  readonly scheme?: 'http' | 'https';
  readonly sourceIp?: string;
  readonly random?: number;
  readonly localPort?: number;
}

export function request(init: RequestInit = {}): RouteRequest {
  const authority = init.authority ?? 'example.com';
  const headers = HeaderMap.from([['host', authority], ...(init.headers ?? [])]);
  const r: RouteRequest = {
    headers,
    method: init.method ?? 'GET',
    path: init.path ?? '/',
    authority,
    scheme: init.scheme ?? 'http',
    sourceIp: init.sourceIp ?? '10.0.0.1',
    random: init.random ?? 0,
  };
  return init.localPort === undefined ? r : { ...r, localPort: init.localPort };
}

export function routeConfig(plain: object): RouteConfiguration__Output {
  return normalizeMessage<RouteConfiguration__Output>('envoy.config.route.v3.RouteConfiguration', plain);
}

/** Compiles a plain (protobufjs-form) RouteConfiguration at base path 'rc'. */
export function compile(plain: object, deps: Partial<RouteDeps> = {}): RouteTable {
  return compileRouteConfiguration(routeConfig(plain), 'rc', { runtime: fakeRuntime(), ...deps });
}

/** One virtual host `*` with the given routes. */
export function singleHost(routes: object[], extra: object = {}): object {
  return { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes, ...extra }] };
}

/** Asserts that compiling `plain` fails with a ConfigError at exactly `path` (and, optionally, a reason matching). */
export function assertConfigError(plain: object, path: string, reason?: RegExp, deps: Partial<RouteDeps> = {}): void {
  assert.throws(
    () => compile(plain, deps),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.equal(err.path, path, `path of: ${err.message}`);
      if (reason) assert.match(err.reason, reason);
      return true;
    },
  );
}

export function formatContext(init: { requestHeaders?: HeaderMap; responseHeaders?: HeaderMap } = {}): HeaderFormatContext {
  const si = new StreamInfo();
  si.startTimeMs = Date.UTC(2024, 1, 29, 13, 4, 5, 678);
  si.protocol = 'HTTP/1.1';
  si.downstreamRemoteAddress = '10.1.2.3';
  si.downstreamRemotePort = 5555;
  si.downstreamLocalAddress = '::1';
  si.downstreamLocalPort = 8080;
  si.upstreamHost = '10.9.9.9:80';
  si.upstreamCluster = 'backend';
  const base = { streamInfo: si, requestHeaders: init.requestHeaders ?? new HeaderMap(), hostname: 'node-1' };
  return init.responseHeaders ? { ...base, responseHeaders: init.responseHeaders } : base;
}
