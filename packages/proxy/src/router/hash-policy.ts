import { ConfigError, joinPath } from '@weft/api/lite';
import type { _envoy_config_route_v3_RouteAction_HashPolicy__Output as HashPolicy__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteAction.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import { firstHeaderValue, type RouteRequest } from './route-request.js';
import { compileRegexRewrite, type RegexRewrite } from './safe-regex.js';
import { xxh32String } from './xxhash32.js';
import { clearArray } from '../server/clear-array.js';

/**
 * Route hash policies (consistent-hash load balancing). Hashes are unsigned 32-bit numbers: our ring-hash and
 * Maglev balancers place 32-bit points, so a 64-bit hash would only be truncated. Each value is hashed with XXH32
 * (Envoy uses XXH64, so hash values differ from Envoy's; only stability and spread matter). Policies combine as in
 * Envoy: `hash = rotl1(hash) ^ next`, and a terminal policy that produced a hash stops the evaluation.
 */

export interface CookieAttribute {
  readonly name: string;
  readonly value: string;
}

/**
 * Receives cookie-generation requests: a cookie policy with a `ttl` whose cookie is absent asks the caller (the
 * router) to generate a value and send it back with `Set-Cookie` (see `makeSetCookieValue`); the returned value is
 * then hashed. Envoy derives the value from the connection's addresses (see `generateCookieValue`).
 */
export interface HashCookieSink {
  generateCookie(name: string, path: string, ttlSeconds: number, attributes: readonly CookieAttribute[]): string;
}

const M_HEADER = 0;
const M_COOKIE = 1;
const M_SOURCE_IP = 2;
const M_QUERY = 3;

class HashMethod {
  constructor(
    readonly kind: number,
    readonly terminal: boolean,
    /** Header name, cookie name or query parameter name. */
    readonly name: string,
    readonly rewrite: RegexRewrite | undefined,
    readonly cookiePath: string,
    /** Cookie TTL in seconds, -1 when unset (no cookie generation). */
    readonly ttlSeconds: number,
    readonly attributes: readonly CookieAttribute[],
  ) {}
}

// Reused for multi-valued headers (sorted before hashing so value order does not matter, as in Envoy).
const valueScratch: string[] = [];

export class HashPolicy {
  constructor(private readonly methods: readonly HashMethod[]) {}

  /** The request hash, or undefined when no policy produced one (the load balancer then picks at random). */
  computeHash(req: RouteRequest, cookies?: HashCookieSink): number | undefined {
    let hash: number | undefined;
    for (const m of this.methods) {
      const h = evaluate(m, req, cookies);
      if (h !== undefined) hash = hash === undefined ? h : (((hash << 1) | (hash >>> 31)) ^ h) >>> 0;
      if (m.terminal && hash !== undefined) break;
    }
    return hash;
  }
}

function evaluate(m: HashMethod, req: RouteRequest, cookies: HashCookieSink | undefined): number | undefined {
  switch (m.kind) {
    case M_HEADER:
      return hashHeader(m, req);
    case M_COOKIE: {
      const v = cookieValue(req.headers, m.name);
      if (v !== undefined && v !== '') return xxh32String(v);
      if (m.ttlSeconds < 0 || cookies === undefined) return undefined;
      return xxh32String(cookies.generateCookie(m.name, m.cookiePath, m.ttlSeconds, m.attributes));
    }
    case M_SOURCE_IP:
      return req.sourceIp === '' ? undefined : xxh32String(req.sourceIp);
    default: {
      const v = queryParameterValue(req.path, m.name);
      return v === undefined ? undefined : xxh32String(v);
    }
  }
}

function hashHeader(m: HashMethod, req: RouteRequest): number | undefined {
  if (m.name.charCodeAt(0) === 58 /* : */) {
    const v = firstHeaderValue(req, m.name);
    return v === undefined ? undefined : xxh32String(m.rewrite ? m.rewrite.apply(v) : v);
  }
  const names = req.headers.names;
  const values = req.headers.values;
  clearArray(valueScratch);
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== m.name) continue;
    const v = values[i] as string;
    valueScratch.push(m.rewrite ? m.rewrite.apply(v) : v);
  }
  if (valueScratch.length === 0) return undefined;
  if (valueScratch.length === 1) return xxh32String(valueScratch[0] as string);
  valueScratch.sort();
  let h = 0;
  for (const v of valueScratch) h = xxh32String(v, h);
  return h;
}

/** First value of cookie `name` across all Cookie headers (surrounding double quotes removed), like Envoy. */
export function cookieValue(headers: HeaderMap, name: string): string | undefined {
  const names = headers.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== 'cookie') continue;
    const h = headers.values[i] as string;
    let start = 0;
    while (start < h.length) {
      let end = h.indexOf(';', start);
      if (end === -1) end = h.length;
      let k = start;
      while (k < end && h.charCodeAt(k) === 32) k++;
      const eq = h.indexOf('=', k);
      if (eq !== -1 && eq < end && eq - k === name.length && h.startsWith(name, k)) {
        let v = h.slice(eq + 1, end);
        if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
        return v;
      }
      start = end + 1;
    }
  }
  return undefined;
}

/** First raw value of query parameter `name` in a request target, '' when present without '='. */
export function queryParameterValue(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  let start = q + 1;
  while (start <= path.length) {
    let end = path.indexOf('&', start);
    if (end === -1) end = path.length;
    if (path.startsWith(name, start)) {
      const after = start + name.length;
      if (after === end) return '';
      if (path.charCodeAt(after) === 61 /* = */ && after < end) return path.slice(after + 1, end);
    }
    start = end + 1;
  }
  return undefined;
}

/** Envoy's Set-Cookie value for a generated hash cookie. */
export function makeSetCookieValue(name: string, value: string, path: string, maxAgeSeconds: number, httpOnly: boolean, attributes: readonly CookieAttribute[]): string {
  let out = `${name}="${value}"`;
  if (maxAgeSeconds !== 0) out += `; Max-Age=${maxAgeSeconds}`;
  if (path !== '') out += `; Path=${path}`;
  for (const a of attributes) out += a.value === '' ? `; ${a.name}` : `; ${a.name}=${a.value}`;
  if (httpOnly) out += '; HttpOnly';
  return out;
}

/** A cookie value stable per connection (Envoy hashes remote + local address): 16 hex digits. */
export function generateCookieValue(remoteAddress: string, localAddress: string): string {
  const s = remoteAddress + localAddress;
  return xxh32String(s, 0).toString(16).padStart(8, '0') + xxh32String(s, 1).toString(16).padStart(8, '0');
}

const HEADER_NAME_OK = /^[^\0\r\n]+$/;

/** Compiles `route.hash_policy` found at `path`; returns undefined for an empty list. */
export function compileHashPolicy(list: readonly HashPolicy__Output[], path: string): HashPolicy | undefined {
  const methods: HashMethod[] = [];
  list.forEach((p, i) => {
    const pp = joinPath(path, i);
    switch (p.policy_specifier) {
      case 'header': {
        const h = p.header;
        if (!h || !HEADER_NAME_OK.test(h.header_name)) throw new ConfigError(joinPath(pp, 'header.header_name'), 'must be a non-empty header name');
        const rewrite = h.regex_rewrite ? compileRegexRewrite(h.regex_rewrite, joinPath(pp, 'header.regex_rewrite')) : undefined;
        methods.push(new HashMethod(M_HEADER, p.terminal, h.header_name.toLowerCase(), rewrite, '', -1, []));
        break;
      }
      case 'cookie': {
        const c = p.cookie;
        if (!c || c.name === '') throw new ConfigError(joinPath(pp, 'cookie.name'), 'must not be empty');
        const ttl = c.ttl ? Number(c.ttl.seconds) : -1;
        if (c.attributes.some((a) => a.name === '')) throw new ConfigError(joinPath(pp, 'cookie.attributes'), 'attribute names must not be empty');
        const attrs = c.attributes.map((a) => ({ name: a.name, value: a.value }));
        methods.push(new HashMethod(M_COOKIE, p.terminal, c.name, undefined, c.path, ttl, attrs));
        break;
      }
      case 'connection_properties':
        // Envoy adds no method when source_ip is false.
        if (p.connection_properties?.source_ip) methods.push(new HashMethod(M_SOURCE_IP, p.terminal, '', undefined, '', -1, []));
        break;
      case 'query_parameter': {
        const name = p.query_parameter?.name ?? '';
        if (name === '') throw new ConfigError(joinPath(pp, 'query_parameter.name'), 'must not be empty');
        methods.push(new HashMethod(M_QUERY, p.terminal, name, undefined, '', -1, []));
        break;
      }
      case 'filter_state':
        throw new ConfigError(joinPath(pp, 'filter_state'), 'is not supported');
      default:
        throw new ConfigError(pp, 'one of header, cookie, connection_properties or query_parameter is required');
    }
  });
  return list.length === 0 ? undefined : new HashPolicy(methods);
}
