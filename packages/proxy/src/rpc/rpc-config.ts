import { ConfigError, joinPath } from '@weft/api/lite';
import type { RpcProxy__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/RpcProxy.js';
import type { RpcCodec } from '../interfaces/rpc-codec.js';
import type { FactoryContext } from '../server/factory-context.js';
import { durationMs } from '../server/duration.js';
import { createAccessLoggers, type AccessLogger } from '../observability/access-log/access-log-factory.js';
import { getRpcCodec, rpcCodecNames } from './codec-registry.js';
import { compileRpcRoute, type RpcRoute } from './rpc-route.js';
import { createRpcProxyStats, type RpcProxyStats } from './rpc-stats.js';
import type { MuxOptions } from './upstream-mux.js';

export const RPC_PROXY_TYPE = 'weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 3600_000;
export const DEFAULT_UPSTREAM_HEARTBEAT_MS = 30_000;

export interface RpcColouring {
  /** Header / attachment carrying the colour. */
  readonly header: string;
  /** Endpoint `envoy.lb` label naming a host's colour. */
  readonly label: string;
}

/** A validated RpcProxy config, shared by every connection of its filter chain. */
export interface RpcProxyConfig {
  readonly statPrefix: string;
  readonly codecs: readonly RpcCodec[];
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
  const rc = cfg.route_config;
  const rcPath = joinPath(path, 'route_config');
  if (!rc) throw new ConfigError(rcPath, 'is required');
  // A cluster still warming (EDS not yet answered) is known, like tcp_proxy: listeners from the same push refer to it.
  const hasCluster = (name: string): boolean => ctx.clusterManager.get(name) !== undefined || ctx.clusterWarming?.(name) === true;
  const routes = rc.routes.map((r, i) => compileRpcRoute(r, joinPath(joinPath(rcPath, 'routes'), i), { hasCluster }));
  const maxFrameBytes = cfg.max_frame_bytes ? cfg.max_frame_bytes.value : DEFAULT_MAX_FRAME_BYTES;
  if (maxFrameBytes < 16) throw new ConfigError(joinPath(path, 'max_frame_bytes.value'), 'must be at least 16');
  let colouring: RpcColouring | undefined;
  if (cfg.colouring) {
    const cp = joinPath(path, 'colouring');
    if (!cfg.colouring.header) throw new ConfigError(joinPath(cp, 'header'), 'is required');
    colouring = { header: cfg.colouring.header, label: cfg.colouring.label || 'colour' };
  }
  const perHost = cfg.upstream_connections_per_host ? cfg.upstream_connections_per_host.value : 1;
  if (perHost < 1) throw new ConfigError(joinPath(path, 'upstream_connections_per_host.value'), 'must be at least 1');
  return makeRpcProxyConfig(
    {
      statScope: `rpc.${cfg.stat_prefix}`,
      statPrefix: cfg.stat_prefix,
      codecs,
      routes,
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

/** What a front end (Weft's RpcProxy, Envoy's dubbo_proxy) decides; the rest is derived here. */
export interface RpcProxySettings {
  /** Stats scope, e.g. `rpc.<stat_prefix>` or `dubbo.<stat_prefix>`. */
  readonly statScope: string;
  readonly statPrefix: string;
  readonly codecs: readonly RpcCodec[];
  readonly routes: readonly RpcRoute[];
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly colouring: RpcColouring | undefined;
  readonly accessLoggers: readonly AccessLogger[];
  readonly upstreamConnectionsPerHost: number;
  readonly upstreamHeartbeatMs: number;
}

export function makeRpcProxyConfig(s: RpcProxySettings, ctx: FactoryContext): RpcProxyConfig {
  const stats = createRpcProxyStats(ctx.stats.scope(s.statScope));
  return {
    statPrefix: s.statPrefix,
    codecs: s.codecs,
    routes: s.routes,
    maxFrameBytes: s.maxFrameBytes,
    idleTimeoutMs: s.idleTimeoutMs,
    colouring: s.colouring,
    accessLoggers: s.accessLoggers,
    upstreamConnectionsPerHost: s.upstreamConnectionsPerHost,
    upstreamHeartbeatMs: s.upstreamHeartbeatMs,
    stats,
    mux: { connectionsPerHost: s.upstreamConnectionsPerHost, heartbeatMs: s.upstreamHeartbeatMs, maxFrameBytes: s.maxFrameBytes },
    onUpstreamHeartbeat: (timedOut) => (timedOut ? stats.upstreamHeartbeatTimeout : stats.upstreamHeartbeat).inc(),
    ctx,
  };
}
