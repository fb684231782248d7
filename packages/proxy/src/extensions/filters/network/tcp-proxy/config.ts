import { ConfigError, joinPath } from '@weft/api/lite';
import type { TcpProxy__Output } from '@weft/api/envoy/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { NetworkFilterFactory } from '../../../../network/network-filter-registry.js';
import type { FactoryContext } from '../../../../server/factory-context.js';
import { durationMs } from '../../../../server/duration.js';
import { createAccessLoggers } from '../../../../observability/access-log/access-log-factory.js';
import { TcpProxySession, type TcpProxyConfig } from './tcp-proxy.js';

const ONE_HOUR_MS = 3600_000;

export function parseTcpProxyConfig(cfg: TcpProxy__Output, path: string, ctx: FactoryContext): TcpProxyConfig {
  if (!cfg.stat_prefix) throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  const unsupported: Array<[string, boolean]> = [
    ['metadata_match', !!cfg.metadata_match],
    ['hash_policy', cfg.hash_policy.length > 0],
    ['tunneling_config', !!cfg.tunneling_config],
    ['on_demand', !!cfg.on_demand],
    ['downstream_idle_timeout', !!cfg.downstream_idle_timeout],
    ['upstream_idle_timeout', !!cfg.upstream_idle_timeout],
    ['access_log_options', !!cfg.access_log_options],
    ['backoff_options', !!(cfg as { backoff_options?: unknown }).backoff_options],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');

  const clusters: Array<{ name: string; weight: number }> = [];
  if (cfg.cluster_specifier === 'cluster') {
    if (!cfg.cluster) throw new ConfigError(joinPath(path, 'cluster'), 'must not be empty');
    clusters.push({ name: cfg.cluster, weight: 1 });
  } else if (cfg.cluster_specifier === 'weighted_clusters' && cfg.weighted_clusters) {
    cfg.weighted_clusters.clusters.forEach((c, i) => {
      const p = joinPath(joinPath(path, 'weighted_clusters.clusters'), i);
      if (!c.name) throw new ConfigError(joinPath(p, 'name'), 'is required');
      if (c.metadata_match) throw new ConfigError(joinPath(p, 'metadata_match'), 'is not supported yet');
      clusters.push({ name: c.name, weight: c.weight });
    });
    if (clusters.length === 0) throw new ConfigError(joinPath(path, 'weighted_clusters.clusters'), 'needs at least one cluster');
  } else {
    throw new ConfigError(path, 'one of cluster or weighted_clusters is required');
  }
  clusters.forEach((c, i) => {
    if (!ctx.clusterManager.get(c.name) && ctx.clusterWarming?.(c.name) !== true) {
      const p = cfg.cluster_specifier === 'cluster' ? joinPath(path, 'cluster') : joinPath(joinPath(path, 'weighted_clusters.clusters'), i);
      throw new ConfigError(p, `unknown cluster '${c.name}'`);
    }
  });
  const totalWeight = clusters.reduce((a, c) => a + c.weight, 0);
  if (totalWeight === 0) throw new ConfigError(joinPath(path, 'weighted_clusters'), 'total weight must be greater than 0');

  const scope = ctx.stats.scope(`tcp.${cfg.stat_prefix}`);
  return {
    statPrefix: cfg.stat_prefix,
    clusters,
    totalWeight,
    idleTimeoutMs: durationMs(cfg.idle_timeout, ONE_HOUR_MS),
    maxConnectAttempts: cfg.max_connect_attempts ? Math.max(1, cfg.max_connect_attempts.value) : 1,
    maxDurationMs: durationMs(cfg.max_downstream_connection_duration, 0),
    accessLoggers: createAccessLoggers(cfg.access_log, joinPath(path, 'access_log'), { hostname: ctx.hostname }),
    stats: {
      cxTotal: scope.counter('downstream_cx_total'),
      cxNoRoute: scope.counter('downstream_cx_no_route'),
      rxBytes: scope.counter('downstream_cx_rx_bytes_total'),
      txBytes: scope.counter('downstream_cx_tx_bytes_total'),
      pausedReading: scope.counter('downstream_flow_control_paused_reading_total'),
      resumedReading: scope.counter('downstream_flow_control_resumed_reading_total'),
      idleTimeout: scope.counter('idle_timeout'),
      maxDuration: scope.counter('max_downstream_connection_duration'),
      upstreamFlush: scope.counter('upstream_flush_total'),
    },
    ctx,
  };
}

export const tcpProxyFactory: NetworkFilterFactory = {
  configType: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  names: ['envoy.filters.network.tcp_proxy', 'envoy.tcp_proxy'],
  terminal: true,
  create(config, path, ctx) {
    const parsed = parseTcpProxyConfig(config as TcpProxy__Output, path, ctx);
    return (conn) => {
      new TcpProxySession(parsed, conn).start();
    };
  },
};
