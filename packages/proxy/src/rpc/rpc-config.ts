import { ConfigError, joinPath } from '@weft/api/lite';
import type { RouteConfiguration__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/RouteConfiguration.js';
import type { RpcProxy__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/RpcProxy.js';
import type { TypedRouteProvider } from '../interfaces/typed-routes.js';
import type { RpcCodec } from '../interfaces/rpc-codec.js';
import type { FactoryContext } from '../server/factory-context.js';
import { durationMs } from '../server/duration.js';
import { createAccessLoggers, type AccessLogger } from '../observability/access-log/access-log-factory.js';
import { getRpcCodec, rpcCodecNames } from './codec-registry.js';
import { compileRpcRoute, type RpcRoute } from './rpc-route.js';
import { createRpcProxyStats, type RpcProxyStats } from './rpc-stats.js';
import type { MuxOptions } from './upstream-mux.js';

export const RPC_PROXY_TYPE = 'weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';
/** The xDS resource type of the rpc_proxy's `rds` route tables. */
export const RPC_ROUTE_CONFIGURATION_TYPE = 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration';
const NO_ROUTES: readonly RpcRoute[] = [];

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 3600_000;
export const DEFAULT_UPSTREAM_HEARTBEAT_MS = 30_000;

export interface RpcColouring {
  /** Header / attachment carrying the colour. */
  readonly header: string;
  /** Endpoint `envoy.lb` label naming a host's colour. */
  readonly label: string;
}

/** A route table with what else it decides (an RDS resource, or the inline one). */
export interface RpcRouteTable {
  readonly routes: readonly RpcRoute[];
  /** Replaces the filter's colouring when set. */
  readonly colouring: RpcColouring | undefined;
}

/** A validated RpcProxy config, shared by every connection of its filter chain. */
export interface RpcProxyConfig {
  readonly statPrefix: string;
  readonly codecs: readonly RpcCodec[];
  /** The current route table (with `rds`, the last accepted one: read once per call). */
  readonly routes: readonly RpcRoute[];
  readonly maxFrameBytes: number;
  /** 0 = none. */
  readonly idleTimeoutMs: number;
  readonly colouring: RpcColouring | undefined;
  readonly accessLoggers: readonly AccessLogger[];
  readonly upstreamConnectionsPerHost: number;
  /** 0 = no upstream heartbeats. */
  readonly upstreamHeartbeatMs: number;
  readonly stats: RpcProxyStats;
  /** Options of the upstream pools this config creates, and the heartbeat counter they bump (made once). */
  readonly mux: MuxOptions;
  readonly onUpstreamHeartbeat: (timedOut: boolean) => void;
  readonly ctx: FactoryContext;
}

export function parseRpcProxyConfig(cfg: RpcProxy__Output, path: string, ctx: FactoryContext): RpcProxyConfig {
  if (!cfg.stat_prefix) throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  const codecsPath = joinPath(path, 'codecs');
  if (cfg.codecs.length === 0) throw new ConfigError(codecsPath, 'needs at least one protocol');
  const codecs = cfg.codecs.map((name, i) => {
    const codec = getRpcCodec(name);
    if (codec === undefined) {
      throw new ConfigError(joinPath(codecsPath, i), `unknown RPC protocol '${name}' (known: ${rpcCodecNames().join(', ') || 'none'})`);
    }
    return codec;
  });
  if (new Set(cfg.codecs).size !== cfg.codecs.length) throw new ConfigError(codecsPath, 'lists a protocol twice');
  const { routes, routeProvider } = routeSource(cfg, path, ctx);
  const maxFrameBytes = cfg.max_frame_bytes ? cfg.max_frame_bytes.value : DEFAULT_MAX_FRAME_BYTES;
  if (maxFrameBytes < 16) throw new ConfigError(joinPath(path, 'max_frame_bytes.value'), 'must be at least 16');
  const colouring = routes.colouring ?? compileColouring(cfg.colouring, joinPath(path, 'colouring'));
  const perHost = cfg.upstream_connections_per_host ? cfg.upstream_connections_per_host.value : 1;
  if (perHost < 1) throw new ConfigError(joinPath(path, 'upstream_connections_per_host.value'), 'must be at least 1');
  return makeRpcProxyConfig(
    {
      statScope: `rpc.${cfg.stat_prefix}`,
      statPrefix: cfg.stat_prefix,
      codecs,
      routes: routes.routes,
      routeProvider,
      maxFrameBytes,
      idleTimeoutMs: durationMs(cfg.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS),
      colouring,
      accessLoggers: createAccessLoggers(cfg.access_log, joinPath(path, 'access_log'), { hostname: ctx.hostname }),
      upstreamConnectionsPerHost: perHost,
      upstreamHeartbeatMs: durationMs(cfg.upstream_heartbeat_interval, DEFAULT_UPSTREAM_HEARTBEAT_MS),
    },
    ctx,
  );
}

function compileColouring(c: RpcProxy__Output['colouring'], path: string): RpcColouring | undefined {
  if (!c) return undefined;
  if (!c.header) throw new ConfigError(joinPath(path, 'header'), 'is required');
  return { header: c.header, label: c.label || 'colour' };
}

const NO_TABLE: RpcRouteTable = { routes: NO_ROUTES, colouring: undefined };

/** Inline `route_config`, or `rds`: a provider the route resources of RDS replace (no listener change). */
function routeSource(cfg: RpcProxy__Output, path: string, ctx: FactoryContext): { routes: RpcRouteTable; routeProvider: TypedRouteProvider<RpcRouteTable> | undefined } {
  // A cluster still warming (EDS not yet answered) is known, like tcp_proxy: listeners from the same push refer to it.
  const hasCluster = (name: string): boolean => ctx.clusterManager.get(name) !== undefined || ctx.clusterWarming?.(name) === true;
  const compile = (rc: RouteConfiguration__Output, rcPath: string): RpcRouteTable => ({
    routes: rc.routes.map((r, i) => compileRpcRoute(r, joinPath(joinPath(rcPath, 'routes'), i), { hasCluster })),
    colouring: compileColouring(rc.colouring, joinPath(rcPath, 'colouring')),
  });
  if (cfg.route_config && cfg.rds) throw new ConfigError(path, 'only one of route_config and rds may be set');
  if (cfg.route_config) return { routes: compile(cfg.route_config, joinPath(path, 'route_config')), routeProvider: undefined };
  if (!cfg.rds) throw new ConfigError(joinPath(path, 'route_config'), 'is required (or rds)');
  const rp = joinPath(path, 'rds');
  if (!ctx.routeSubscriptions) throw new ConfigError(rp, 'needs dynamic_resources.ads_config');
  const src = cfg.rds.config_source;
  if (!src) throw new ConfigError(joinPath(rp, 'config_source'), 'is required');
  if (src.config_source_specifier !== 'ads') throw new ConfigError(joinPath(rp, `config_source.${src.config_source_specifier ?? 'ads'}`), 'only ads config sources are supported yet');
  if (!cfg.rds.route_config_name) throw new ConfigError(joinPath(rp, 'route_config_name'), 'is required');
  const provider = ctx.routeSubscriptions.subscribeTyped(RPC_ROUTE_CONFIGURATION_TYPE, cfg.rds.route_config_name, `rpc.${cfg.stat_prefix}`, (r, p) => compile(r as RouteConfiguration__Output, p));
  return { routes: NO_TABLE, routeProvider: provider };
}

/** What a front end (Weft's RpcProxy, Envoy's dubbo_proxy) decides; the rest is derived here. */
export interface RpcProxySettings {
  /** Stats scope, e.g. `rpc.<stat_prefix>` or `dubbo.<stat_prefix>`. */
  readonly statScope: string;
  readonly statPrefix: string;
  readonly codecs: readonly RpcCodec[];
  readonly routes: readonly RpcRoute[];
  /** When set, the route table comes from here (RDS) and `routes` is unused; its colouring, when set, wins. */
  readonly routeProvider?: TypedRouteProvider<RpcRouteTable> | undefined;
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly colouring: RpcColouring | undefined;
  readonly accessLoggers: readonly AccessLogger[];
  readonly upstreamConnectionsPerHost: number;
  readonly upstreamHeartbeatMs: number;
}

export function makeRpcProxyConfig(s: RpcProxySettings, ctx: FactoryContext): RpcProxyConfig {
  return new RpcProxyConfigImpl(s, ctx);
}

/**
 * A class, not an object literal: a literal with accessors (routes, colouring) gets a map V8 does not specialise
 * for, so every field read from it on the data path was a generic IC call.
 */
class RpcProxyConfigImpl implements RpcProxyConfig {
  readonly statPrefix: string;
  readonly codecs: readonly RpcCodec[];
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly accessLoggers: readonly AccessLogger[];
  readonly upstreamConnectionsPerHost: number;
  readonly upstreamHeartbeatMs: number;
  readonly stats: RpcProxyStats;
  readonly mux: MuxOptions;
  readonly onUpstreamHeartbeat: (timedOut: boolean) => void;
  private readonly provider: TypedRouteProvider<RpcRouteTable> | undefined;
  private readonly staticRoutes: readonly RpcRoute[];
  private readonly staticColouring: RpcColouring | undefined;

  constructor(
    s: RpcProxySettings,
    readonly ctx: FactoryContext,
  ) {
    const stats = createRpcProxyStats(ctx.stats.scope(s.statScope));
    this.statPrefix = s.statPrefix;
    this.codecs = s.codecs;
    this.maxFrameBytes = s.maxFrameBytes;
    this.idleTimeoutMs = s.idleTimeoutMs;
    this.accessLoggers = s.accessLoggers;
    this.upstreamConnectionsPerHost = s.upstreamConnectionsPerHost;
    this.upstreamHeartbeatMs = s.upstreamHeartbeatMs;
    this.stats = stats;
    this.mux = { connectionsPerHost: s.upstreamConnectionsPerHost, heartbeatMs: s.upstreamHeartbeatMs, maxFrameBytes: s.maxFrameBytes };
    this.onUpstreamHeartbeat = (timedOut) => (timedOut ? stats.upstreamHeartbeatTimeout : stats.upstreamHeartbeat).inc();
    this.provider = s.routeProvider;
    this.staticRoutes = s.routes;
    this.staticColouring = s.colouring;
  }

  // A listener with `rds` warms until its table arrives; a removed resource leaves the last table in place.
  get routes(): readonly RpcRoute[] {
    const p = this.provider;
    return p === undefined ? this.staticRoutes : (p.table?.routes ?? NO_ROUTES);
  }

  get colouring(): RpcColouring | undefined {
    return this.provider?.table?.colouring ?? this.staticColouring;
  }
}
