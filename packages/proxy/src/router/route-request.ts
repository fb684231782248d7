import type { HeaderMap } from '../interfaces/header-map.js';

/** What route matching sees of a request; built once per request by the caller. */
export interface RouteRequest {
  /** Lower-case names; contains `host` (HTTP/1 Host), never `:authority`. */
  readonly headers: HeaderMap;
  readonly method: string;
  /** Request target as received, including the query (origin form), e.g. `/a/b?x=1`. */
  readonly path: string;
  /** Host header value (may include a port). */
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  /** Downstream remote IP (hash policy `connection_properties.source_ip`). */
  readonly sourceIp: string;
  /** A uniform random uint32 for this request (runtime fractions, weighted clusters). */
  readonly random: number;
  /** Downstream local (listener) port; only read for `stripPortMode: 'matching'`. */
  readonly localPort?: number;
}

const COLON = 58;

/** A pseudo-header's value (`:method`, `:path`, `:authority`, `:scheme`), undefined for any other name. */
export function pseudoHeaderValue(req: RouteRequest, name: string): string | undefined {
  switch (name) {
    case ':method':
      return req.method;
    case ':path':
      return req.path;
    case ':authority':
      return req.authority;
    case ':scheme':
      return req.scheme;
    default:
      return undefined;
  }
}

/** A header as Envoy's matchers see it: pseudo-headers map to request fields, repeated values join with ','. */
export function joinedHeaderValue(req: RouteRequest, name: string): string | undefined {
  if (name.charCodeAt(0) === COLON) return pseudoHeaderValue(req, name);
  return req.headers.getJoined(name);
}

/** First value of a header (pseudo-headers map to request fields). */
export function firstHeaderValue(req: RouteRequest, name: string): string | undefined {
  if (name.charCodeAt(0) === COLON) return pseudoHeaderValue(req, name);
  return req.headers.get(name);
}

/** Index where the path part of a request target ends (first '?' or '#'), like Envoy's removeQueryAndFragment. */
export function pathPartEnd(path: string): number {
  // indexOf is a native scan: much cheaper than a charCodeAt loop on the hot path.
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  if (h === -1) return q === -1 ? path.length : q;
  return q === -1 || h < q ? h : q;
}
