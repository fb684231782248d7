import { HeaderMap } from '../../interfaces/header-map.js';

/** Where the request pseudo-headers go (the HCM's ActiveStream). */
export interface H2RequestLine {
  method: string;
  path: string;
  authority: string;
  scheme: 'http' | 'https';
}

/**
 * A request header block (node's raw `[name, value, ...]`, names lower-case) into pseudo-header fields and a
 * HeaderMap. `:authority` becomes `host` (first), as Envoy keeps it; cookie crumbs are joined with "; "
 * (RFC 9113 §8.2.3). Returns the `:protocol` pseudo-header (extended CONNECT) or ''.
 */
export function decodeRequestHeaders(raw: readonly string[], line: H2RequestLine, headers: HeaderMap, neverIndexed?: readonly string[]): string {
  let authority: string | undefined;
  let protocol = '';
  let cookie: string | undefined;
  let cookieAt = -1;
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':method') line.method = value;
      else if (name === ':path') line.path = value;
      else if (name === ':authority') authority = value;
      else if (name === ':scheme') line.scheme = value === 'https' ? 'https' : 'http';
      else if (name === ':protocol') protocol = value;
      continue;
    }
    if (name === 'cookie') {
      if (cookie === undefined) {
        cookie = value;
        cookieAt = headers.size;
        headers.add('cookie', value);
      } else {
        cookie += '; ' + value;
      }
      continue;
    }
    if (name === 'host') {
      if (host !== undefined) continue;
      host = value;
      if (authority !== undefined) continue;
    }
    headers.add(name, value);
  }
  if (cookieAt >= 0 && cookie !== undefined) headers.values[cookieAt] = cookie;
  if (authority !== undefined) {
    if (host !== undefined) headers.remove('host');
    headers.names.unshift('host');
    headers.values.unshift(authority);
    line.authority = authority;
  } else if (host !== undefined) {
    line.authority = host;
  }
  if (neverIndexed !== undefined && neverIndexed.length > 0) headers.neverIndexed = neverIndexedNames(neverIndexed);
  return protocol;
}

/** A response/trailer block (node's raw pairs) into a HeaderMap; pseudo-headers are skipped. */
export function decodeRawHeaders(raw: readonly string[], neverIndexed?: readonly string[]): HeaderMap {
  const headers = new HeaderMap();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58) continue;
    headers.add(name, raw[i + 1] as string);
  }
  if (neverIndexed !== undefined && neverIndexed.length > 0) headers.neverIndexed = neverIndexedNames(neverIndexed);
  return headers;
}

/** The decoder's never-indexed names as the HeaderMap keeps them (`:authority` travels as `host`). */
function neverIndexedNames(names: readonly string[]): string[] {
  return names.map((n) => (n === ':authority' ? 'host' : n));
}
