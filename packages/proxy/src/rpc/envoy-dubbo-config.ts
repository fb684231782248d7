import { ConfigError, joinPath } from '@weft/api/lite';
import type { DubboProxy__Output } from '@weft/api/envoy/envoy/extensions/filters/network/dubbo_proxy/v3/DubboProxy.js';
import type { Route__Output } from '@weft/api/envoy/envoy/extensions/filters/network/dubbo_proxy/v3/Route.js';
import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/extensions/filters/network/dubbo_proxy/v3/RouteConfiguration.js';
import type { MultipleRouteConfiguration__Output } from '@weft/api/envoy/envoy/extensions/filters/network/dubbo_proxy/v3/MultipleRouteConfiguration.js';
import type { WeightedCluster__Output } from '@weft/api/envoy/envoy/config/route/v3/WeightedCluster.js';
import type { FactoryContext } from '../server/factory-context.js';
import { compileHeaderMatcher } from '../router/route-matchers.js';
import { StringMatcher } from '../router/string-matcher.js';
import { rejectIfSet } from '../upstream/config-util.js';
import { getRpcCodec } from './codec-registry.js';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_UPSTREAM_HEARTBEAT_MS,
  makeRpcProxyConfig,
  type RpcProxyConfig,
  type RpcProxySettings,
} from './rpc-config.js';
import { compileClusters, optMatcher, RangeParameterMatch, RpcRoute, StringParameterMatch, type ClusterSpec, type ParameterMatch, type RouteCompileDeps } from './rpc-route.js';

export const DUBBO_PROXY_TYPE = 'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy';
/** The xDS resource type of dubbo_proxy `drds` route tables. */
export const DUBBO_ROUTE_CONFIGURATION_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration';
const ROUTER = 'envoy.filters.dubbo.router';

/**
 * Envoy's `envoy.filters.network.dubbo_proxy` on the generic RPC proxy with the `dubbo` codec: route configurations
 * per interface (with group and version), routes on method name, parameters and attachments, to clusters, weighted
 * clusters and metadata subsets. Stats go under `dubbo.<stat_prefix>.`. Envoy's dubbo routes have no timeout: the
 * request's own timeout applies.
 */
export function parseDubboProxyConfig(cfg: DubboProxy__Output, path: string, ctx: FactoryContext): RpcProxyConfig {
  if (!cfg.stat_prefix) throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  const codec = getRpcCodec('dubbo');
  if (codec === undefined) throw new ConfigError(joinPath(path, 'protocol_type'), "the 'dubbo' codec is not available in this build");
  cfg.dubbo_filters.forEach((f, i) => {
    const fp = joinPath(joinPath(path, 'dubbo_filters'), i);
    if (f.name !== ROUTER) throw new ConfigError(joinPath(fp, 'name'), `unsupported dubbo filter '${f.name}' (only ${ROUTER})`);
    if (i !== cfg.dubbo_filters.length - 1) throw new ConfigError(fp, `${ROUTER} must be the last dubbo filter`);
  });
  // A cluster still warming (EDS not yet answered) is known, like tcp_proxy: listeners from the same push refer to it.
  const hasCluster = (name: string): boolean => ctx.clusterManager.get(name) !== undefined || ctx.clusterWarming?.(name) === true;
  const deps: RouteCompileDeps = { hasCluster };
  const add = (routes: RpcRoute[], rcs: readonly RouteConfiguration__Output[], rcsPath: string): RpcRoute[] => {
    rcs.forEach((rc, i) => {
      const rp = joinPath(rcsPath, i);
      rc.routes.forEach((r, j) => routes.push(compileDubboRoute(rc, r, joinPath(joinPath(rp, 'routes'), j), deps)));
    });
    return routes;
  };
  const routes = add([], cfg.route_config, joinPath(path, 'route_config'));
  if (cfg.multiple_route_config) add(routes, cfg.multiple_route_config.route_config, joinPath(path, 'multiple_route_config.route_config'));
  const statScope = `dubbo.${cfg.stat_prefix}`;
  let routeProvider: RpcProxySettings['routeProvider'];
  if (cfg.route_specifier === 'drds' && cfg.drds) {
    const dp = joinPath(path, 'drds');
    if (cfg.route_config.length > 0) throw new ConfigError(path, 'only one of route_config and drds may be set');
    if (!ctx.routeSubscriptions) throw new ConfigError(dp, 'needs dynamic_resources.ads_config');
    const src = cfg.drds.config_source;
    if (!src) throw new ConfigError(joinPath(dp, 'config_source'), 'is required');
    if (src.config_source_specifier !== 'ads') throw new ConfigError(joinPath(dp, `config_source.${src.config_source_specifier ?? 'ads'}`), 'only ads config sources are supported yet');
    if (!cfg.drds.route_config_name) throw new ConfigError(joinPath(dp, 'route_config_name'), 'is required (route tables are subscribed to by name)');
    routeProvider = ctx.routeSubscriptions.subscribeTyped(DUBBO_ROUTE_CONFIGURATION_TYPE, cfg.drds.route_config_name, statScope, (r, p) => ({
      routes: add([], (r as MultipleRouteConfiguration__Output).route_config, joinPath(p, 'route_config')),
      colouring: undefined,
    }));
  }
  return makeRpcProxyConfig(
    {
      statScope,
      statPrefix: cfg.stat_prefix,
      codecs: [codec],
      routes,
      routeProvider,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      colouring: undefined,
      accessLoggers: [],
      upstreamConnectionsPerHost: 1,
      upstreamHeartbeatMs: DEFAULT_UPSTREAM_HEARTBEAT_MS,
    },
    ctx,
  );
}

function compileDubboRoute(rc: RouteConfiguration__Output, r: Route__Output, path: string, deps: RouteCompileDeps): RpcRoute {
  const mp = joinPath(path, 'match');
  if (!r.match) throw new ConfigError(mp, 'is required');
  const method = r.match.method;
  const params: ParameterMatch[] = [];
  if (method) {
    for (const [key, spec] of Object.entries(method.params_match)) {
      const pp = joinPath(joinPath(mp, 'method.params_match'), key);
      const index = Number(key);
      if (spec.parameter_match_specifier === 'exact_match') params.push(new StringParameterMatch(index, StringMatcher.exact(spec.exact_match ?? '')));
      else if (spec.parameter_match_specifier === 'range_match' && spec.range_match) {
        params.push(new RangeParameterMatch(index, BigInt(spec.range_match.start), BigInt(spec.range_match.end)));
      } else throw new ConfigError(pp, 'one of exact_match or range_match is required');
    }
  }
  const headers = r.match.headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(mp, 'headers'), i)));
  const ap = joinPath(path, 'route');
  if (!r.route) throw new ConfigError(ap, 'is required');
  const { clusters, totalWeight } = compileClusters(clusterSpec(r.route.cluster_specifier, r.route.cluster, r.route.weighted_clusters ?? null, r.route.metadata_match, ap), ap, deps);
  // Interface `*` matches every service (Envoy's wildcard route configuration).
  const service = rc.interface === '' || rc.interface === '*' ? undefined : StringMatcher.exact(rc.interface);
  return new RpcRoute(
    rc.name,
    service,
    method ? optMatcher(method.name, joinPath(mp, 'method.name')) : undefined,
    rc.version === '' ? undefined : StringMatcher.exact(rc.version),
    rc.group === '' ? undefined : StringMatcher.exact(rc.group),
    undefined,
    headers,
    params,
    clusters,
    totalWeight,
    0,
    undefined,
    [],
  );
}

/** Envoy's WeightedCluster in the shape compileClusters takes; fields the RPC proxy does not implement are refused. */
function clusterSpec(
  specifier: string | undefined,
  cluster: string | undefined,
  wc: WeightedCluster__Output | null,
  metadataMatch: ClusterSpec['metadata_match'],
  ap: string,
): ClusterSpec {
  if (specifier !== 'weighted_clusters' || wc === null) return { cluster_specifier: specifier, cluster, metadata_match: metadataMatch };
  const wp = joinPath(ap, 'weighted_clusters');
  rejectIfSet(wp, 'runtime_key_prefix', wc.runtime_key_prefix);
  rejectIfSet(wp, 'header_name', wc.header_name);
  const clusters = wc.clusters.map((c, i) => {
    const cp = joinPath(joinPath(wp, 'clusters'), i);
    for (const f of ['cluster_header', 'request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove', 'typed_per_filter_config', 'host_rewrite_literal'] as const) {
      rejectIfSet(cp, f, c[f]);
    }
    return { name: c.name, weight: c.weight ? c.weight.value : 0, metadata_match: c.metadata_match };
  });
  return { cluster_specifier: specifier, weighted_clusters: { clusters }, metadata_match: metadataMatch };
}
