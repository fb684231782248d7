import { ConfigError, joinPath } from '@weft/api/lite';
import type { Route__Output } from '@weft/api/envoy/envoy/config/route/v3/Route.js';
import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteConfiguration.js';
import type { VirtualHost__Output } from '@weft/api/envoy/envoy/config/route/v3/VirtualHost.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { Runtime } from '../interfaces/runtime.js';
import type { Scope } from '../interfaces/stats.js';
import { compileDirectResponse, DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES } from './direct-response.js';
import type { HeaderFormatContext } from './header-formatter.js';
import { compileHeaderMutation, HeaderMutation } from './header-mutation.js';
import { compileRedirectAction, RedirectRouteAction } from './redirect-action.js';
import { ClusterRouteAction, type PerFilterConfig, type WeightedClusterEntry } from './route-action.js';
import { RouteEntry, VirtualHostEntry, type RouteAction, type RouteMetadata, type TlsRequirement } from './route-entry.js';
import { compileRouteMatch } from './route-matchers.js';
import { compileRetryPolicy } from './retry-policy.js';
import { compileMirrorPolicies, type MirrorPolicy } from './mirror-policy.js';
import { compilePerFilterConfigs, mergeFilterConfigLevels, type ParsedFilterConfigs, type PerFilterParseContext } from './per-filter-config.js';
import type { RouteRequest } from './route-request.js';
import { hostForMatching, VirtualHostIndex, type StripPortMode } from './virtual-host-index.js';

export type { RouteRequest } from './route-request.js';
export type { RouteAction, RouteDecorator, TlsRequirement } from './route-entry.js';
export { RouteEntry, VirtualHostEntry } from './route-entry.js';
export { ClusterRouteAction, WeightedClusterEntry, DEFAULT_ROUTE_TIMEOUT_MS, type PickedCluster, type PerFilterConfig } from './route-action.js';
export { RedirectRouteAction } from './redirect-action.js';
export { DirectResponseRouteAction } from './direct-response.js';
export type { HeaderFormatContext } from './header-formatter.js';
export type { StripPortMode } from './virtual-host-index.js';

export interface RouteDeps {
  readonly runtime: Runtime;
  /** When given and cluster validation applies, unknown static/weighted cluster names are ConfigErrors. */
  readonly clusterExists?: (name: string) => boolean;
  /** HCM strip_any_host_port / strip_matching_host_port, applied to Host before virtual host matching. */
  readonly stripPortMode?: StripPortMode;
  /** Envoy validates clusters by default for inline route configs, not for RDS (pass false from RDS). */
  readonly validateClustersDefault?: boolean;
  /** Root stats scope for per-route filter configs that keep stats (local_ratelimit). */
  readonly stats?: Scope;
}

/** A compiled, immutable `RouteConfiguration`. */
export class RouteTable {
  constructor(
    readonly name: string,
    readonly virtualHosts: readonly VirtualHostEntry[],
    private readonly index: VirtualHostIndex<VirtualHostEntry>,
    private readonly runtime: Runtime,
    readonly requestHeaderMutation: HeaderMutation,
    readonly responseHeaderMutation: HeaderMutation,
    readonly validateClusters: boolean,
    /** Headers the connection manager removes from external requests. */
    readonly internalOnlyHeaders: readonly string[],
    readonly mostSpecificHeaderMutationsWins: boolean,
    readonly ignorePortInHostMatching: boolean,
    readonly ignorePathParametersInPathMatching: boolean,
    readonly maxDirectResponseBodySizeBytes: number,
    readonly stripPortMode: StripPortMode,
    readonly perFilterConfig: PerFilterConfig,
    readonly metadata: RouteMetadata,
    /** Parsed route-configuration-level typed_per_filter_config. */
    readonly filterConfigs: ParsedFilterConfigs,
  ) {}

  selectVirtualHost(req: RouteRequest): VirtualHostEntry | undefined {
    const host = hostForMatching(req.authority, req.method, this.stripPortMode, this.ignorePortInHostMatching, req.localPort);
    return this.index.find(host);
  }

  /** The route for a request, or undefined (the caller answers 404 with response flag NR). */
  select(req: RouteRequest): RouteEntry | undefined {
    const vh = this.selectVirtualHost(req);
    return vh === undefined ? undefined : vh.selectRoute(req, this.runtime, this.ignorePathParametersInPathMatching);
  }
}

/**
 * Request header mutations in Envoy's order: the weighted cluster's (when given), then the route's levels
 * (route → virtual host → route config by default, reversed with most_specific_header_mutations_wins).
 */
export function applyRequestMutations(entry: RouteEntry, headers: HeaderMap, ctx: HeaderFormatContext, weighted?: WeightedClusterEntry): void {
  if (weighted !== undefined) weighted.requestMutation.apply(headers, ctx);
  const levels = entry.requestMutations;
  for (let i = 0; i < levels.length; i++) (levels[i] as HeaderMutation).apply(headers, ctx);
}

/** Response header mutations, same order as the request side. `ctx.responseHeaders` serves `%RESP(x)%`. */
export function applyResponseMutations(entry: RouteEntry, headers: HeaderMap, ctx: HeaderFormatContext, weighted?: WeightedClusterEntry): void {
  if (weighted !== undefined) weighted.responseMutation.apply(headers, ctx);
  const levels = entry.responseMutations;
  for (let i = 0; i < levels.length; i++) (levels[i] as HeaderMutation).apply(headers, ctx);
}

function unsupported(path: string, checks: Array<[string, boolean]>): void {
  for (const [field, set] of checks) if (set) throw new ConfigError(joinPath(path, field), 'is not supported');
}

function ordered(route: HeaderMutation, vhost: HeaderMutation, config: HeaderMutation, mostSpecificWins: boolean): HeaderMutation[] {
  const levels = mostSpecificWins ? [config, vhost, route] : [route, vhost, config];
  return levels.filter((m) => !m.isEmpty);
}

interface Ctx {
  readonly deps: RouteDeps;
  readonly config: { req: HeaderMutation; resp: HeaderMutation; mostSpecificWins: boolean; maxBody: number };
  readonly clusterRefs: Array<[string, string]>;
  mirrors: readonly MirrorPolicy[];
  readonly filterCtx: PerFilterParseContext;
  readonly configFilters: ParsedFilterConfigs;
}

/** Compiles a RouteConfiguration found at `path`; throws ConfigError naming the offending field. */
export function compileRouteConfiguration(cfg: RouteConfiguration__Output, path: string, deps: RouteDeps): RouteTable {
  unsupported(path, [
    ['vhds', cfg.vhds !== null],
    ['cluster_specifier_plugins', cfg.cluster_specifier_plugins.length > 0],
  ]);
  const mostSpecificWins = cfg.most_specific_header_mutations_wins;
  const filterCtx: PerFilterParseContext = { runtime: deps.runtime, stats: deps.stats };
  const ctx: Ctx = {
    deps,
    config: {
      req: compileHeaderMutation(cfg.request_headers_to_add, cfg.request_headers_to_remove, joinPath(path, 'request_headers_to_add'), joinPath(path, 'request_headers_to_remove')),
      resp: compileHeaderMutation(cfg.response_headers_to_add, cfg.response_headers_to_remove, joinPath(path, 'response_headers_to_add'), joinPath(path, 'response_headers_to_remove')),
      mostSpecificWins,
      maxBody: cfg.max_direct_response_body_size_bytes ? cfg.max_direct_response_body_size_bytes.value : DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES,
    },
    clusterRefs: [],
    mirrors: [],
    filterCtx,
    configFilters: compilePerFilterConfigs(cfg.typed_per_filter_config, joinPath(path, 'typed_per_filter_config'), filterCtx),
  };
  ctx.mirrors = compileMirrorPolicies(cfg.request_mirror_policies, joinPath(path, 'request_mirror_policies'), ctx.clusterRefs);
  const internalOnly = cfg.internal_only_headers.map((h, i) => {
    if (h === '' || /[\0\r\n]/.test(h)) throw new ConfigError(joinPath(joinPath(path, 'internal_only_headers'), i), 'is not a valid header name');
    return h.toLowerCase();
  });
  const index = new VirtualHostIndex<VirtualHostEntry>();
  const vhosts = cfg.virtual_hosts.map((v, i) => compileVirtualHost(v, joinPath(joinPath(path, 'virtual_hosts'), i), ctx, index));
  const validate = cfg.validate_clusters ? cfg.validate_clusters.value : (deps.validateClustersDefault ?? true);
  if (validate && deps.clusterExists) {
    for (const [name, p] of ctx.clusterRefs) if (!deps.clusterExists(name)) throw new ConfigError(p, `unknown cluster '${name}'`);
  }
  return new RouteTable(
    cfg.name,
    vhosts,
    index,
    deps.runtime,
    ctx.config.req,
    ctx.config.resp,
    validate,
    internalOnly,
    mostSpecificWins,
    cfg.ignore_port_in_host_matching,
    cfg.ignore_path_parameters_in_path_matching,
    ctx.config.maxBody,
    deps.stripPortMode ?? 'none',
    cfg.typed_per_filter_config,
    cfg.metadata,
    ctx.configFilters,
  );
}

function compileVirtualHost(v: VirtualHost__Output, path: string, ctx: Ctx, index: VirtualHostIndex<VirtualHostEntry>): VirtualHostEntry {
  if (v.name === '') throw new ConfigError(joinPath(path, 'name'), 'must not be empty');
  if (v.domains.length === 0) throw new ConfigError(joinPath(path, 'domains'), 'must have at least one domain');
  unsupported(path, [
    ['rate_limits', v.rate_limits.length > 0],
    ['cors', v.cors !== null],
    ['retry_policy_typed_config', v.retry_policy_typed_config !== null],
    ['hedge_policy', v.hedge_policy !== null],
    ['matcher', v.matcher !== null],
  ]);
  const vh = new VirtualHostEntry(
    v.name,
    v.domains,
    v.require_tls as TlsRequirement,
    compileHeaderMutation(v.request_headers_to_add, v.request_headers_to_remove, joinPath(path, 'request_headers_to_add'), joinPath(path, 'request_headers_to_remove')),
    compileHeaderMutation(v.response_headers_to_add, v.response_headers_to_remove, joinPath(path, 'response_headers_to_add'), joinPath(path, 'response_headers_to_remove')),
    v.typed_per_filter_config,
    v.metadata,
    v.include_request_attempt_count,
    v.include_attempt_count_in_response,
    v.include_is_timeout_retry_header,
    v.per_request_buffer_limit_bytes?.value,
    v.virtual_clusters,
    v.retry_policy ? compileRetryPolicy(v.retry_policy, joinPath(path, 'retry_policy')) : undefined,
  );
  vh.filterConfigs = compilePerFilterConfigs(v.typed_per_filter_config, joinPath(path, 'typed_per_filter_config'), ctx.filterCtx);
  const vhMirrors = compileMirrorPolicies(v.request_mirror_policies, joinPath(path, 'request_mirror_policies'), ctx.clusterRefs);
  vh.mirrorPolicies = vhMirrors.length !== 0 ? vhMirrors : ctx.mirrors;
  v.domains.forEach((d, i) => index.add(d, vh, v.name, joinPath(joinPath(path, 'domains'), i)));
  const routes = vh.routes as RouteEntry[];
  v.routes.forEach((r, i) => routes.push(compileRoute(r, joinPath(joinPath(path, 'routes'), i), vh, ctx)));
  if (vh.requireTls !== 'NONE') {
    const empty: HeaderMutation[] = [];
    vh.tlsRedirect = new RouteEntry('', vh, RedirectRouteAction.tls(), undefined, HeaderMutation.EMPTY, HeaderMutation.EMPTY, empty, empty, {}, null, undefined, '', undefined, null);
  }
  return vh;
}

function compileRoute(r: Route__Output, path: string, vh: VirtualHostEntry, ctx: Ctx): RouteEntry {
  const match = compileRouteMatch(r.match, joinPath(path, 'match'));
  let action: RouteAction;
  let mirrors: readonly MirrorPolicy[] = [];
  switch (r.action) {
    case 'route': {
      const a = new ClusterRouteAction(r.route as NonNullable<Route__Output['route']>, joinPath(path, 'route'), match, ctx.deps.runtime);
      if (a.clusterName !== '') ctx.clusterRefs.push([a.clusterName, joinPath(path, 'route.cluster')]);
      a.weightedClusters?.forEach((w, i) => {
        if (w.name !== '') ctx.clusterRefs.push([w.name, joinPath(path, `route.weighted_clusters.clusters[${i}].name`)]);
        // Filters resolve per-route configs before the router picks a weighted cluster: not applied yet, so refused.
        if (Object.keys(w.perFilterConfig).length > 0) throw new ConfigError(joinPath(path, `route.weighted_clusters.clusters[${i}].typed_per_filter_config`), 'is not supported yet');
      });
      action = a;
      const own = compileMirrorPolicies(r.route?.request_mirror_policies ?? [], joinPath(path, 'route.request_mirror_policies'), ctx.clusterRefs);
      mirrors = own.length !== 0 ? own : vh.mirrorPolicies;
      break;
    }
    case 'redirect':
      action = compileRedirectAction(r.redirect as NonNullable<Route__Output['redirect']>, joinPath(path, 'redirect'), match);
      break;
    case 'direct_response':
      action = compileDirectResponse(r.direct_response as NonNullable<Route__Output['direct_response']>, joinPath(path, 'direct_response'), ctx.config.maxBody);
      break;
    case 'filter_action':
    case 'non_forwarding_action':
      throw new ConfigError(joinPath(path, r.action), 'is not supported');
    default:
      throw new ConfigError(path, 'one of route, redirect or direct_response is required');
  }
  const req = compileHeaderMutation(r.request_headers_to_add, r.request_headers_to_remove, joinPath(path, 'request_headers_to_add'), joinPath(path, 'request_headers_to_remove'));
  const resp = compileHeaderMutation(r.response_headers_to_add, r.response_headers_to_remove, joinPath(path, 'response_headers_to_add'), joinPath(path, 'response_headers_to_remove'));
  const wins = ctx.config.mostSpecificWins;
  const entry = new RouteEntry(
    r.name,
    vh,
    action,
    match,
    req,
    resp,
    ordered(req, vh.requestHeaderMutation, ctx.config.req, wins),
    ordered(resp, vh.responseHeaderMutation, ctx.config.resp, wins),
    r.typed_per_filter_config,
    r.metadata,
    r.decorator ? { operation: r.decorator.operation, propagate: r.decorator.propagate ? r.decorator.propagate.value : true } : undefined,
    r.stat_prefix,
    r.per_request_buffer_limit_bytes?.value ?? vh.perRequestBufferLimitBytes,
    r.tracing,
  );
  const own = compilePerFilterConfigs(r.typed_per_filter_config, joinPath(path, 'typed_per_filter_config'), ctx.filterCtx);
  entry.filterConfigs = mergeFilterConfigLevels([own, vh.filterConfigs, ctx.configFilters]);
  entry.mirrorPolicies = mirrors;
  return entry;
}
