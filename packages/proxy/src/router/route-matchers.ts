import { ConfigError, joinPath } from '@weft/api/lite';
import type { HeaderMatcher__Output } from '@weft/api/envoy/envoy/config/route/v3/HeaderMatcher.js';
import type { QueryParameterMatcher__Output } from '@weft/api/envoy/envoy/config/route/v3/QueryParameterMatcher.js';
import type { RouteMatch__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteMatch.js';
import type { RuntimeFractionalPercent__Output } from '@weft/api/envoy/envoy/config/core/v3/RuntimeFractionalPercent.js';
import type { Runtime } from '../interfaces/runtime.js';
import { joinedHeaderValue, pathPartEnd, type RouteRequest } from './route-request.js';
import { compileRegexMatcher, type SafeRegex } from './safe-regex.js';
import { compileStringMatcher, regionEqualsIgnoreCase, startsWithFast, StringMatcher } from './string-matcher.js';

const H_PRESENT = 0;
const H_EXACT = 1;
const H_STRING = 2;
const H_RANGE = 3;

/** A compiled route `HeaderMatcher`, with Envoy's missing-header, invert and treat-missing-as-empty rules. */
export class HeaderMatcher {
  constructor(
    readonly name: string,
    private readonly kind: number,
    private readonly matcher: StringMatcher | undefined,
    private readonly exactValue: string,
    private readonly rangeStart: bigint,
    private readonly rangeEnd: bigint,
    private readonly present: boolean,
    private readonly invert: boolean,
    private readonly treatMissingAsEmpty: boolean,
  ) {}

  matches(req: RouteRequest): boolean {
    const v = joinedHeaderValue(req, this.name);
    if (this.kind === H_PRESENT) return (this.present === (v !== undefined)) !== this.invert;
    if (v === undefined && !this.treatMissingAsEmpty) return false;
    const value = v ?? '';
    let m: boolean;
    switch (this.kind) {
      case H_EXACT:
        // Legacy exact_match: an empty expected value matches any value (Envoy HeaderDataExactMatch).
        m = this.exactValue === '' || value === this.exactValue;
        break;
      case H_STRING:
        m = (this.matcher as StringMatcher).match(value);
        break;
      default: {
        const n = parseInt64(value);
        m = n !== undefined && n >= this.rangeStart && n < this.rangeEnd;
      }
    }
    return m !== this.invert;
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** absl::SimpleAtoi for int64: optional surrounding ASCII whitespace, optional sign, decimal digits, in range. */
export function parseInt64(s: string): bigint | undefined {
  const t = s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
  if (!/^[+-]?[0-9]+$/.test(t)) return undefined;
  const n = BigInt(t);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

export function compileHeaderMatcher(h: HeaderMatcher__Output, path: string): HeaderMatcher {
  if (h.name === '') throw new ConfigError(joinPath(path, 'name'), 'must not be empty');
  if (/[\0\r\n]/.test(h.name)) throw new ConfigError(joinPath(path, 'name'), 'is not a valid header name');
  const name = h.name.toLowerCase();
  const mk = (kind: number, matcher: StringMatcher | undefined, exact = '', start = 0n, end = 0n, present = true): HeaderMatcher =>
    new HeaderMatcher(name, kind, matcher, exact, start, end, present, h.invert_match, h.treat_missing_header_as_empty);
  const nonEmpty = (field: string, v: string | undefined): string => {
    if (!v) throw new ConfigError(joinPath(path, field), 'must not be empty');
    return v;
  };
  switch (h.header_match_specifier) {
    case 'exact_match':
      return mk(H_EXACT, undefined, h.exact_match ?? '');
    case 'prefix_match':
      return mk(H_STRING, StringMatcher.prefix(nonEmpty('prefix_match', h.prefix_match)));
    case 'suffix_match':
      return mk(H_STRING, StringMatcher.suffix(nonEmpty('suffix_match', h.suffix_match)));
    case 'contains_match':
      return mk(H_STRING, StringMatcher.contains(nonEmpty('contains_match', h.contains_match)));
    case 'safe_regex_match':
      return mk(H_STRING, StringMatcher.regex(compileRegexMatcher(h.safe_regex_match ?? null, joinPath(path, 'safe_regex_match'))));
    case 'string_match':
      return mk(H_STRING, compileStringMatcher(h.string_match ?? null, joinPath(path, 'string_match')));
    case 'range_match': {
      const r = h.range_match;
      if (!r) throw new ConfigError(joinPath(path, 'range_match'), 'is required');
      return mk(H_RANGE, undefined, '', BigInt(r.start), BigInt(r.end));
    }
    case 'present_match':
      return mk(H_PRESENT, undefined, '', 0n, 0n, h.present_match ?? false);
    default:
      // No specifier: Envoy matches on presence.
      return mk(H_PRESENT, undefined, '', 0n, 0n, true);
  }
}

/**
 * A compiled `QueryParameterMatcher`: matches the first occurrence of the parameter, raw (not percent-decoded), as
 * Envoy does. A parameter without '=' is present with an empty value. Like Envoy, `present_match: false` still
 * means "present" (the field selects presence matching; its value is not consulted).
 */
export class QueryParameterMatcher {
  constructor(
    readonly name: string,
    private readonly matcher: StringMatcher | undefined,
  ) {}

  /** `query` is the index of '?' in `path`, or -1. */
  matches(path: string, query: number): boolean {
    if (query === -1) return false;
    const name = this.name;
    let start = query + 1;
    while (start <= path.length) {
      let end = path.indexOf('&', start);
      if (end === -1) end = path.length;
      if (path.startsWith(name, start)) {
        const after = start + name.length;
        if (after === end) return this.matcher === undefined || this.matcher.match('');
        if (after < end && path.charCodeAt(after) === 61 /* = */) {
          return this.matcher === undefined || this.matcher.match(path.slice(after + 1, end));
        }
      }
      start = end + 1;
    }
    return false;
  }
}

export function compileQueryParameterMatcher(q: QueryParameterMatcher__Output, path: string): QueryParameterMatcher {
  if (q.name === '') throw new ConfigError(joinPath(path, 'name'), 'must not be empty');
  if (q.query_parameter_match_specifier === 'string_match') {
    return new QueryParameterMatcher(q.name, compileStringMatcher(q.string_match ?? null, joinPath(path, 'string_match')));
  }
  return new QueryParameterMatcher(q.name, undefined);
}

const DENOMINATORS: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** `runtime_fraction`: enabled when `random % denominator < numerator`, overridable by runtime key. */
export class RuntimeFraction {
  constructor(
    readonly runtimeKey: string,
    readonly numerator: number,
    readonly denominator: number,
  ) {}

  enabled(runtime: Runtime, random: number): boolean {
    return runtime.featureEnabled(this.runtimeKey, this.numerator, this.denominator, random);
  }
}

export function compileRuntimeFraction(r: RuntimeFractionalPercent__Output, path: string): RuntimeFraction {
  const d = r.default_value;
  if (!d) throw new ConfigError(joinPath(path, 'default_value'), 'is required');
  const denominator = DENOMINATORS[d.denominator];
  if (denominator === undefined) throw new ConfigError(joinPath(path, 'default_value.denominator'), `unknown denominator ${d.denominator}`);
  return new RuntimeFraction(r.runtime_key, d.numerator, denominator);
}

export const PATH_PREFIX = 0;
export const PATH_EXACT = 1;
export const PATH_REGEX = 2;
export const PATH_SEPARATED_PREFIX = 3;
export const PATH_CONNECT = 4;

/** A compiled `RouteMatch`. `matches` must not allocate on the prefix path. */
export class CompiledRouteMatch {
  constructor(
    readonly pathKind: number,
    /** The prefix / path / path_separated_prefix value ('' for regex and connect). */
    readonly pathValue: string,
    readonly caseSensitive: boolean,
    private readonly regex: SafeRegex | undefined,
    private readonly headers: readonly HeaderMatcher[],
    private readonly queryParameters: readonly QueryParameterMatcher[],
    private readonly runtimeFraction: RuntimeFraction | undefined,
    private readonly grpc: boolean,
  ) {}

  /** Routes Envoy considers for requests without a path (HTTP/1 CONNECT). */
  get supportsPathless(): boolean {
    return this.pathKind === PATH_CONNECT;
  }

  /**
   * Length of the path prefix a prefix_rewrite replaces: the configured value for prefix/path/separated-prefix
   * routes, the whole path part (no query) for regex and connect routes.
   */
  matchedLength(path: string): number {
    return this.pathKind === PATH_REGEX || this.pathKind === PATH_CONNECT ? pathPartEnd(path) : this.pathValue.length;
  }

  /** `end` is where the path part of `req.path` ends (query/fragment removed, path parameters too if configured). */
  matches(req: RouteRequest, end: number, runtime: Runtime): boolean {
    if (!this.matchesPath(req, end)) return false;
    if (this.runtimeFraction !== undefined && !this.runtimeFraction.enabled(runtime, req.random)) return false;
    if (this.grpc && !isGrpcContentType(req.headers.get('content-type'))) return false;
    const headers = this.headers;
    for (let i = 0; i < headers.length; i++) if (!(headers[i] as HeaderMatcher).matches(req)) return false;
    const qp = this.queryParameters;
    if (qp.length > 0) {
      const q = req.path.indexOf('?');
      for (let i = 0; i < qp.length; i++) if (!(qp[i] as QueryParameterMatcher).matches(req.path, q)) return false;
    }
    return true;
  }

  private matchesPath(req: RouteRequest, end: number): boolean {
    const path = req.path;
    const v = this.pathValue;
    switch (this.pathKind) {
      case PATH_PREFIX:
        if (v.length > end) return false;
        return this.caseSensitive ? startsWithFast(path, v) : regionEqualsIgnoreCase(path, 0, v);
      case PATH_EXACT:
        if (v.length !== end) return false;
        return this.caseSensitive ? startsWithFast(path, v) : regionEqualsIgnoreCase(path, 0, v);
      case PATH_SEPARATED_PREFIX: {
        if (v.length > end) return false;
        if (!(this.caseSensitive ? startsWithFast(path, v) : regionEqualsIgnoreCase(path, 0, v))) return false;
        return v.length === end || path.charCodeAt(v.length) === 47; /* / */
      }
      case PATH_REGEX:
        return (this.regex as SafeRegex).fullMatch(end === path.length ? path : path.slice(0, end));
      default:
        return req.method === 'CONNECT';
    }
  }
}

/** gRPC content type: `application/grpc` exactly or followed by '+' or ';' (not grpc-web). */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const c = ct.charCodeAt(16);
  return ct.length === 16 || c === 43 /* + */ || c === 59 /* ; */;
}

function reject(path: string, field: string): never {
  throw new ConfigError(joinPath(path, field), 'is not supported');
}

/** Compiles `route.match` found at `path`. */
export function compileRouteMatch(m: RouteMatch__Output | null, path: string): CompiledRouteMatch {
  if (!m) throw new ConfigError(path, 'is required');
  if (m.tls_context) reject(path, 'tls_context');
  if (m.dynamic_metadata.length > 0) reject(path, 'dynamic_metadata');
  const caseSensitive = m.case_sensitive ? m.case_sensitive.value : true;
  let kind: number;
  let value = '';
  let regex: SafeRegex | undefined;
  switch (m.path_specifier) {
    case 'prefix':
      kind = PATH_PREFIX;
      value = m.prefix ?? '';
      break;
    case 'path':
      kind = PATH_EXACT;
      value = m.path ?? '';
      break;
    case 'safe_regex':
      kind = PATH_REGEX;
      regex = compileRegexMatcher(m.safe_regex ?? null, joinPath(path, 'safe_regex'));
      break;
    case 'path_separated_prefix':
      kind = PATH_SEPARATED_PREFIX;
      value = m.path_separated_prefix ?? '';
      // Envoy's PGV rule: ^[^?#]+[^?#/]$
      if (!/^[^?#]+[^?#/]$/.test(value)) {
        throw new ConfigError(joinPath(path, 'path_separated_prefix'), "must be at least 2 characters, contain no '?' or '#' and not end with '/'");
      }
      break;
    case 'connect_matcher':
      kind = PATH_CONNECT;
      break;
    case 'path_match_policy':
      reject(path, 'path_match_policy');
      break;
    default:
      throw new ConfigError(path, 'one of prefix, path, safe_regex, path_separated_prefix or connect_matcher is required');
  }
  if (/[\0\r\n]/.test(value)) throw new ConfigError(joinPath(path, m.path_specifier), 'must not contain NUL, CR or LF');
  const headers = m.headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(path, 'headers'), i)));
  const query = m.query_parameters.map((q, i) => compileQueryParameterMatcher(q, joinPath(joinPath(path, 'query_parameters'), i)));
  const fraction = m.runtime_fraction ? compileRuntimeFraction(m.runtime_fraction, joinPath(path, 'runtime_fraction')) : undefined;
  return new CompiledRouteMatch(kind, value, caseSensitive, regex, headers, query, fraction, m.grpc !== null);
}
