import { ConfigError, joinPath } from '@weft/api/lite';
import type { ThriftProxy__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/ThriftProxy.js';
import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/RouteConfiguration.js';
import type { Route__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/Route.js';
import type { RouteAction__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/RouteAction.js';
import type { ThriftFilter__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/ThriftFilter.js';
import { typedConfigOf } from '../config/typed-config.js';
import { createAccessLoggers } from '../observability/access-log/access-log-factory.js';
import type { FactoryContext } from '../server/factory-context.js';
import { compileHeaderMatcher, compileRuntimeFraction } from '../router/route-matchers.js';
import type { HeaderMatcher } from '../router/route-matchers.js';
import type { RpcFrame } from '../interfaces/rpc-codec.js';
import { StringMatcher } from '../router/string-matcher.js';
import { getRpcCodec } from './codec-registry.js';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_UPSTREAM_HEARTBEAT_MS,
  makeRpcProxyConfig,
  type RpcProxyConfig,
  type RpcProxySettings,
} from './rpc-config.js';
import { compileClusters, RpcRoute, type ClusterSpec, type RouteCompileDeps, type RpcClusterChoice, type RpcMirrorPolicy } from './rpc-route.js';

export const THRIFT_PROXY_TYPE = 'envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy';
/** The xDS resource type of thrift_proxy `trds` route tables. */
export const THRIFT_ROUTE_CONFIGURATION_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.RouteConfiguration';
const ROUTER = 'envoy.filters.thrift.router';
const ROUTER_TYPE = 'envoy.extensions.filters.network.thrift_proxy.router.v3.Router';

/**
 * The thrift codec detects framing and protocol per connection, so it cannot be forced to one: AUTO and the explicit
 * values detection recognises are accepted (a client using another supported one is still served).
 */
const TRANSPORTS: ReadonlySet<string> = new Set(['AUTO_TRANSPORT', 'FRAMED', 'UNFRAMED', 'HEADER']);
const PROTOCOLS: ReadonlySet<string> = new Set(['AUTO_PROTOCOL', 'BINARY', 'LAX_BINARY', 'COMPACT']);

/**
 * Envoy's `envoy.filters.network.thrift_proxy` on the generic RPC proxy with the `thrift` codec: routes on the
 * method name (`Service:method` when multiplexed), the multiplexed service name and THeader headers, to clusters,
 * weighted clusters and metadata subsets, with request mirrors. Stats go under `thrift.<stat_prefix>.`. Envoy's
 * thrift routes have no timeout (and Thrift requests carry none): calls wait for their response.
 */
export function parseThriftProxyConfig(cfg: ThriftProxy__Output, path: string, ctx: FactoryContext): RpcProxyConfig {
  if (!cfg.stat_prefix) throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  const codec = getRpcCodec('thrift');
  if (codec === undefined) throw new ConfigError(joinPath(path, 'transport'), "the 'thrift' codec is not available in this build");
  if (!TRANSPORTS.has(cfg.transport)) throw new ConfigError(joinPath(path, 'transport'), `${cfg.transport} is not supported (AUTO_TRANSPORT, FRAMED, UNFRAMED or HEADER)`);
  if (!PROTOCOLS.has(cfg.protocol)) throw new ConfigError(joinPath(path, 'protocol'), `${cfg.protocol} is not supported (AUTO_PROTOCOL, BINARY, LAX_BINARY or COMPACT)`);
  if (cfg.max_requests_per_connection) throw new ConfigError(joinPath(path, 'max_requests_per_connection'), 'is not supported yet');
  // payload_passthrough: the RPC proxy always forwards the payload bytes as they came. header_keys_preserve_case:
  // THeader headers are forwarded as they came (matching is case-insensitive either way).
  cfg.thrift_filters.forEach((f, i) => checkFilter(f, i, cfg.thrift_filters.length, joinPath(path, 'thrift_filters')));
  const deps: RouteCompileDeps = { hasCluster: (name) => ctx.clusterManager.get(name) !== undefined };
  const compile = (rc: RouteConfiguration__Output, rcPath: string): RpcRoute[] => {
    if (rc.validate_clusters && !rc.validate_clusters.value) throw new ConfigError(joinPath(rcPath, 'validate_clusters'), 'false is not supported (clusters are always validated)');
    return rc.routes.map((r, i) => compileThriftRoute(rc.name, r, joinPath(joinPath(rcPath, 'routes'), i), deps));
  };
  if (cfg.route_config && cfg.trds) throw new ConfigError(path, 'only one of route_config and trds may be set');
  const routes = cfg.route_config ? compile(cfg.route_config, joinPath(path, 'route_config')) : [];
  const statScope = `thrift.${cfg.stat_prefix}`;
  let routeProvider: RpcProxySettings['routeProvider'];
  if (cfg.trds) {
    const tp = joinPath(path, 'trds');
    if (!ctx.routeSubscriptions) throw new ConfigError(tp, 'needs dynamic_resources.ads_config');
    const src = cfg.trds.config_source;
    if (!src) throw new ConfigError(joinPath(tp, 'config_source'), 'is required');
    if (src.config_source_specifier !== 'ads') throw new ConfigError(joinPath(tp, `config_source.${src.config_source_specifier ?? 'ads'}`), 'only ads config sources are supported yet');
    if (!cfg.trds.route_config_name) throw new ConfigError(joinPath(tp, 'route_config_name'), 'is required (route tables are subscribed to by name)');
    routeProvider = ctx.routeSubscriptions.subscribeTyped(THRIFT_ROUTE_CONFIGURATION_TYPE, cfg.trds.route_config_name, statScope, (r, p) => ({
      routes: compile(r as RouteConfiguration__Output, p),
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
      accessLoggers: createAccessLoggers(cfg.access_log, joinPath(path, 'access_log'), { hostname: ctx.hostname }),
      upstreamConnectionsPerHost: 1,
      upstreamHeartbeatMs: DEFAULT_UPSTREAM_HEARTBEAT_MS,
    },
    ctx,
  );
}

function checkFilter(f: ThriftFilter__Output, i: number, count: number, filtersPath: string): void {
  const fp = joinPath(filtersPath, i);
  if (f.name !== ROUTER) throw new ConfigError(joinPath(fp, 'name'), `unsupported thrift filter '${f.name}' (only ${ROUTER})`);
  if (i !== count - 1) throw new ConfigError(fp, `${ROUTER} must be the last thrift filter`);
  if (!f.typed_config) return;
  const { typeName, value } = typedConfigOf(f, fp);
  const tp = joinPath(fp, 'typed_config');
  if (typeName !== ROUTER_TYPE) throw new ConfigError(tp, `expected ${ROUTER_TYPE}, got ${typeName}`);
  const close = value['close_downstream_on_upstream_error'] as { value: boolean } | null | undefined;
  if (close?.value === true) throw new ConfigError(joinPath(tp, 'close_downstream_on_upstream_error'), 'is not supported yet');
}

/**
 * Envoy matches `method_name` exactly against the whole message name and `service_name` as its prefix up to the
 * colon; the codec splits a multiplexed name at its first colon into service and method.
 */
function compileThriftRoute(name: string, r: Route__Output, path: string, deps: RouteCompileDeps): RpcRoute {
  const mp = joinPath(path, 'match');
  const m = r.match;
  if (!m) throw new ConfigError(mp, 'is required');
  let service: StringMatcher | undefined;
  let method: StringMatcher | undefined;
  if (m.match_specifier === 'method_name' && m.method_name) {
    const colon = m.method_name.indexOf(':');
    service = StringMatcher.exact(colon < 0 ? '' : m.method_name.slice(0, colon));
    method = StringMatcher.exact(colon < 0 ? m.method_name : m.method_name.slice(colon + 1));
  } else if (m.match_specifier === 'service_name' && m.service_name) {
    const s = m.service_name.endsWith(':') ? m.service_name.slice(0, -1) : m.service_name;
    if (s.includes(':')) throw new ConfigError(joinPath(mp, 'service_name'), 'must not contain a colon before its end');
    service = StringMatcher.exact(s);
  } else if (m.match_specifier === undefined) {
    throw new ConfigError(mp, 'one of method_name or service_name is required');
  }
  if (m.invert && service === undefined) throw new ConfigError(joinPath(mp, 'invert'), 'needs a non-empty method_name or service_name');
  const headers = m.headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(mp, 'headers'), i)));
  const ap = joinPath(path, 'route');
  const a = r.route;
  if (!a) throw new ConfigError(ap, 'is required');
  if (a.cluster_specifier === 'cluster_header') throw new ConfigError(joinPath(ap, 'cluster_header'), 'is not supported yet');
  if (a.rate_limits.length > 0) throw new ConfigError(joinPath(ap, 'rate_limits'), 'is not supported yet');
  if (a.strip_service_name) throw new ConfigError(joinPath(ap, 'strip_service_name'), 'is not supported yet');
  const { clusters, totalWeight } = compileClusters(clusterSpec(a), ap, deps);
  const mirrors: RpcMirrorPolicy[] = a.request_mirror_policies.map((mp2, i) => {
    const p = joinPath(joinPath(ap, 'request_mirror_policies'), i);
    if (!deps.hasCluster(mp2.cluster)) throw new ConfigError(joinPath(p, 'cluster'), `unknown cluster '${mp2.cluster}'`);
    return { cluster: mp2.cluster, fraction: mp2.runtime_fraction ? compileRuntimeFraction(mp2.runtime_fraction, joinPath(p, 'runtime_fraction')) : undefined };
  });
  if (m.invert) return new InvertedNameRoute(name, headers, clusters, totalWeight, mirrors, service as StringMatcher, method);
  return new RpcRoute(name, service, method, undefined, undefined, undefined, headers, [], clusters, totalWeight, 0, undefined, mirrors);
}

/** Envoy's `invert`: every call but those the name condition matches (the header conditions still apply). */
class InvertedNameRoute extends RpcRoute {
  constructor(
    name: string,
    headers: readonly HeaderMatcher[],
    clusters: readonly RpcClusterChoice[],
    totalWeight: number,
    mirrors: readonly RpcMirrorPolicy[],
    private readonly notService: StringMatcher,
    private readonly notMethod: StringMatcher | undefined,
  ) {
    super(name, undefined, undefined, undefined, undefined, undefined, headers, [], clusters, totalWeight, 0, undefined, mirrors);
  }

  override matches(f: RpcFrame): boolean {
    if (!super.matches(f)) return false;
    return !(this.notService.match(f.service) && (this.notMethod === undefined || this.notMethod.match(f.method)));
  }
}

function clusterSpec(a: RouteAction__Output): ClusterSpec {
  if (a.cluster_specifier !== 'weighted_clusters' || !a.weighted_clusters) return { cluster_specifier: a.cluster_specifier, cluster: a.cluster, metadata_match: a.metadata_match };
  const clusters = a.weighted_clusters.clusters.map((c) => ({ name: c.name, weight: c.weight ? c.weight.value : 0, metadata_match: c.metadata_match }));
  return { cluster_specifier: 'weighted_clusters', weighted_clusters: { clusters }, metadata_match: a.metadata_match };
}
