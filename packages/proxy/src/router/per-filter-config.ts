import { ConfigError, joinPath, TYPE_URL_PREFIX } from '@weft/api/lite';
import type { Runtime } from '../interfaces/runtime.js';
import type { Scope } from '../interfaces/stats.js';

/**
 * Per-route HTTP filter configs (`typed_per_filter_config`), parsed once when the route table is compiled.
 *
 * HTTP filter extensions register a parser per per-route message type (Envoy looks the factory up by the Any's
 * type URL, not by the map key); the route compiler calls it for every entry, so a bad per-route config is a
 * ConfigError at load time naming its path. The router package owns this registry and never imports extensions,
 * which keeps the dependency one-way (extensions → router).
 */
export interface PerFilterParseContext {
  readonly runtime: Runtime;
  /** Root stats scope (per-route configs with stats of their own, e.g. local_ratelimit's stat_prefix). */
  readonly stats: Scope | undefined;
}

/** Parses one per-route config message (fields of the decoded Any) into an immutable object. */
export type PerFilterConfigParser = (value: Record<string, unknown>, path: string, ctx: PerFilterParseContext) => object;

const parsers = new Map<string, PerFilterConfigParser>();

/** Registers the parser for a per-route config message type (full name, e.g. `envoy.extensions.filters.http.cors.v3.CorsPolicy`). */
export function registerPerFilterConfigParser(typeName: string, parser: PerFilterConfigParser): void {
  parsers.set(typeName, parser);
}

/** One level's parsed configs: filter name (the map key) → parsed object. */
export type ParsedFilterConfigs = ReadonlyMap<string, object>;

/** All levels for one route, most specific first (route, virtual host, route configuration). */
export type RouteFilterConfigs = ReadonlyMap<string, readonly object[]>;

export const NO_FILTER_CONFIGS: ParsedFilterConfigs = new Map();
export const NO_ROUTE_FILTER_CONFIGS: RouteFilterConfigs = new Map();

const FILTER_CONFIG = 'envoy.config.route.v3.FilterConfig';

/** Map-key path as the config loader writes it: `a.key`, or `a["key.with.dots"]`. */
function keyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? joinPath(base, key) : `${base}[${JSON.stringify(key)}]`;
}

function typeNameOf(any: Record<string, unknown>, path: string): string {
  const url = any['@type'];
  if (typeof url !== 'string') throw new ConfigError(path, 'could not be decoded (unknown type)');
  return url.startsWith(TYPE_URL_PREFIX) ? url.slice(TYPE_URL_PREFIX.length) : url.slice(url.lastIndexOf('/') + 1);
}

/** Parses one level's `typed_per_filter_config` (`path` is that field's path). */
export function compilePerFilterConfigs(raw: Readonly<Record<string, unknown>>, path: string, ctx: PerFilterParseContext): ParsedFilterConfigs {
  const names = Object.keys(raw);
  if (names.length === 0) return NO_FILTER_CONFIGS;
  const out = new Map<string, object>();
  for (const name of names) {
    const p = keyPath(path, name);
    let any = raw[name] as Record<string, unknown> | null | undefined;
    if (!any || typeof any !== 'object') throw new ConfigError(p, 'must be a typed config (Any)');
    let typeName = typeNameOf(any, p);
    let optional = false;
    let anyPath = p;
    if (typeName === FILTER_CONFIG) {
      // envoy.config.route.v3.FilterConfig wraps the config with is_optional / disabled flags.
      optional = any['is_optional'] === true;
      if (any['disabled'] === true) throw new ConfigError(joinPath(p, 'disabled'), 'disabling a filter per route is not supported yet');
      const inner = any['config'] as Record<string, unknown> | null | undefined;
      anyPath = joinPath(p, 'config');
      if (!inner || typeof inner !== 'object') throw new ConfigError(anyPath, 'is required');
      any = inner;
      typeName = typeNameOf(any, anyPath);
    }
    const parser = parsers.get(typeName);
    if (!parser) {
      if (optional) continue;
      throw new ConfigError(joinPath(anyPath, '@type'), `no HTTP filter implements per-route config '${typeName}' (for '${name}')`);
    }
    out.set(name, parser(any, anyPath, ctx));
  }
  return out.size === 0 ? NO_FILTER_CONFIGS : out;
}

/** Merges levels given most specific first into filter name → configs (most specific first). */
export function mergeFilterConfigLevels(levels: readonly ParsedFilterConfigs[]): RouteFilterConfigs {
  let out: Map<string, object[]> | undefined;
  for (const level of levels) {
    for (const [name, cfg] of level) {
      out ??= new Map();
      const list = out.get(name);
      if (list) list.push(cfg);
      else out.set(name, [cfg]);
    }
  }
  return out ?? NO_ROUTE_FILTER_CONFIGS;
}

/** What filters need from a route to resolve their per-route config. */
export interface HasFilterConfigs {
  readonly filterConfigs: RouteFilterConfigs;
}

const NONE: readonly object[] = [];

/** Every level's config for `filterName` on this route that is a `type`, most specific first. */
export function allPerRouteConfigs<T extends object>(route: HasFilterConfigs | undefined, filterName: string, type: abstract new (...args: never[]) => T): readonly T[] {
  if (route === undefined) return NONE as readonly T[];
  const list = route.filterConfigs.get(filterName);
  if (list === undefined) return NONE as readonly T[];
  for (const c of list) if (!(c instanceof type)) return list.filter((x): x is T => x instanceof type);
  return list as readonly T[];
}

/** The most specific config for `filterName` (route, then virtual host, then route configuration), if a `type`. */
export function mostSpecificPerRouteConfig<T extends object>(route: HasFilterConfigs | undefined, filterName: string, type: abstract new (...args: never[]) => T): T | undefined {
  if (route === undefined) return undefined;
  const list = route.filterConfigs.get(filterName);
  if (list === undefined) return undefined;
  for (const c of list) if (c instanceof type) return c;
  return undefined;
}
