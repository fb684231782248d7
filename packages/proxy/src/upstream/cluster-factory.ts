import { ConfigError, joinPath } from '@weft/api/lite';
import type { Cluster__Output } from './envoy-types.js';
import { parseCircuitBreakers } from './circuit-breakers.js';
import { Cluster, type ClusterConfig, type ClusterDeps, type ClusterType } from './cluster.js';
import { durationMs, optDurationMs, rejectIfSet, unsupported, wrapped } from './config-util.js';
import type { DnsRefreshPolicy } from './dns-target.js';
import { parseLoadAssignment } from './endpoints.js';
import { createLbFactory } from './lb-factory.js';
import { parseHealthCheck, type HealthCheckConfig } from './health-check/hc-config.js';
import { DEFAULT_CLEANUP_INTERVAL_MS, DEFAULT_ORIGINAL_DST_HEADER, type OriginalDstConfig } from './original-dst-hosts.js';
import { parseOutlierDetection } from './outlier/outlier-config.js';
import { parseHttpOptions } from './protocol-options.js';
import { parseUpstreamTransportSocket } from '../tls/transport-socket-config.js';
import type { SecretStore } from '../tls/secret-store.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
const DEFAULT_DNS_REFRESH_MS = 5000;

/** Everything in the Cluster message that changes behaviour Weft does not implement yet. */
function rejectUnsupported(cfg: Cluster__Output, path: string): void {
  rejectIfSet(path, 'transport_socket_matches', cfg.transport_socket_matches);
  rejectIfSet(path, 'upstream_bind_config', cfg.upstream_bind_config);
  rejectIfSet(path, 'lb_subset_config', cfg.lb_subset_config);
  rejectIfSet(path, 'dns_resolvers', cfg.dns_resolvers);
  rejectIfSet(path, 'dns_resolution_config', cfg.dns_resolution_config);
  rejectIfSet(path, 'typed_dns_resolver_config', cfg.typed_dns_resolver_config);
  rejectIfSet(path, 'use_tcp_for_dns_lookups', cfg.use_tcp_for_dns_lookups);
  rejectIfSet(path, 'filters', cfg.filters);
  rejectIfSet(path, 'lrs_server', cfg.lrs_server);
  rejectIfSet(path, 'lrs_report_endpoint_metrics', cfg.lrs_report_endpoint_metrics);
  rejectIfSet(path, 'track_timeout_budgets', cfg.track_timeout_budgets);
  rejectIfSet(path, 'upstream_config', cfg.upstream_config);
  const tcs = cfg.track_cluster_stats;
  if (tcs && (tcs.timeout_budgets || tcs.request_response_sizes || tcs.per_endpoint_stats)) {
    throw unsupported(path, 'track_cluster_stats');
  }
  rejectIfSet(path, 'preconnect_policy', cfg.preconnect_policy);
  rejectIfSet(path, 'connection_pool_per_downstream_connection', cfg.connection_pool_per_downstream_connection);
}

function clusterType(cfg: Cluster__Output, path: string): ClusterType {
  if (cfg.cluster_discovery_type === 'cluster_type') throw unsupported(path, 'cluster_type');
  const t = cfg.type ?? 'STATIC';
  if (t === 'STATIC' || t === 'STRICT_DNS' || t === 'LOGICAL_DNS' || t === 'EDS' || t === 'ORIGINAL_DST') return t;
  throw new ConfigError(joinPath(path, 'type'), `${t} clusters are not supported yet`);
}

function positiveDuration(d: { seconds: string; nanos: number } | null, path: string, def: number, minExclusiveMs = 0): number {
  if (!d) return def;
  const ms = durationMs(d);
  const totalNanos = Number(d.seconds) * 1e9 + d.nanos;
  if (totalNanos <= minExclusiveMs * 1e6 || ms <= 0) {
    throw new ConfigError(path, minExclusiveMs > 0 ? `must be greater than ${minExclusiveMs}ms` : 'must be greater than 0');
  }
  return ms;
}

function dnsPolicy(cfg: Cluster__Output, path: string): DnsRefreshPolicy {
  const refreshMs = positiveDuration(cfg.dns_refresh_rate, joinPath(path, 'dns_refresh_rate'), DEFAULT_DNS_REFRESH_MS, 1);
  let failureBackoff: DnsRefreshPolicy['failureBackoff'];
  const fr = cfg.dns_failure_refresh_rate;
  if (fr) {
    const fp = joinPath(path, 'dns_failure_refresh_rate');
    if (!fr.base_interval) throw new ConfigError(joinPath(fp, 'base_interval'), 'is required');
    const baseMs = positiveDuration(fr.base_interval, joinPath(fp, 'base_interval'), 0, 1);
    const maxMs = optDurationMs(fr.max_interval, baseMs * 10);
    if (maxMs < baseMs) {
      throw new ConfigError(fp, 'dns_failure_refresh_rate must have max_interval greater than or equal to the base_interval');
    }
    failureBackoff = { baseMs, maxMs };
  }
  return { lookupFamily: cfg.dns_lookup_family, refreshMs, failureBackoff };
}

function tcpKeepalive(cfg: Cluster__Output, path: string): number | undefined {
  const uco = cfg.upstream_connection_options;
  if (!uco) return undefined;
  const up = joinPath(path, 'upstream_connection_options');
  rejectIfSet(up, 'set_local_interface_name_on_upstream_connections', uco.set_local_interface_name_on_upstream_connections);
  rejectIfSet(up, 'happy_eyeballs_config', uco.happy_eyeballs_config);
  const ka = uco.tcp_keepalive;
  if (!ka) return undefined;
  const kp = joinPath(up, 'tcp_keepalive');
  // Node can set the idle time only (probes and interval stay at the kernel's defaults).
  rejectIfSet(kp, 'keepalive_probes', ka.keepalive_probes);
  rejectIfSet(kp, 'keepalive_interval', ka.keepalive_interval);
  return ka.keepalive_time ? ka.keepalive_time.value * 1000 : 0;
}

function healthCheck(cfg: Cluster__Output, path: string): HealthCheckConfig | undefined {
  const list = cfg.health_checks;
  if (list.length === 0) return undefined;
  if (list.length > 1) throw new ConfigError(joinPath(path, 'health_checks'), 'Multiple health checks not supported');
  return parseHealthCheck(list[0] as (typeof list)[number], joinPath(joinPath(path, 'health_checks'), 0));
}

/** `type: EDS` needs `eds_cluster_config` with an ADS `eds_config` and a bootstrap ADS config to feed it. */
function edsServiceName(cfg: Cluster__Output, type: ClusterType, path: string, allowEds: boolean): string | undefined {
  const eds = cfg.eds_cluster_config;
  if (type !== 'EDS') {
    if (eds) throw new ConfigError(joinPath(path, 'eds_cluster_config'), 'is only valid with type EDS');
    return undefined;
  }
  if (!allowEds) throw new ConfigError(joinPath(path, 'type'), 'EDS clusters need dynamic_resources.ads_config');
  const ep = joinPath(path, 'eds_cluster_config');
  if (!eds) throw new ConfigError(ep, 'is required with type EDS');
  const src = eds.eds_config;
  if (!src) throw new ConfigError(joinPath(ep, 'eds_config'), 'is required');
  if (src.config_source_specifier !== 'ads') throw new ConfigError(joinPath(ep, `eds_config.${src.config_source_specifier ?? 'ads'}`), 'only ads config sources are supported yet');
  if (cfg.load_assignment) throw new ConfigError(joinPath(path, 'load_assignment'), 'EDS clusters get their endpoints from EDS');
  return eds.service_name || cfg.name;
}

/** ORIGINAL_DST: `original_dst_lb_config` and `cleanup_interval`; both are refused on other cluster types. */
function originalDst(cfg: Cluster__Output, type: ClusterType, path: string): OriginalDstConfig | undefined {
  const lc = cfg.lb_config === 'original_dst_lb_config' ? cfg.original_dst_lb_config : null;
  if (type !== 'ORIGINAL_DST') {
    if (lc) throw new ConfigError(joinPath(path, 'original_dst_lb_config'), 'is only valid with type ORIGINAL_DST');
    return undefined;
  }
  if (cfg.load_assignment) throw new ConfigError(joinPath(path, 'load_assignment'), 'ORIGINAL_DST clusters must have no load assignment configured');
  const lp = joinPath(path, 'original_dst_lb_config');
  if (lc && !lc.use_http_header && lc.http_header_name !== '') {
    throw new ConfigError(
      joinPath(lp, 'http_header_name'),
      `invalid config http_header_name=${lc.http_header_name} and use_http_header is false. Set use_http_header to true if http_header_name is desired.`,
    );
  }
  rejectIfSet(lp, 'metadata_key', lc?.metadata_key);
  const override = lc?.upstream_port_override ? lc.upstream_port_override.value : 0;
  if (override > 65535) throw new ConfigError(joinPath(lp, 'upstream_port_override'), 'must be a valid port (at most 65535)');
  return {
    useHttpHeader: lc?.use_http_header ?? false,
    httpHeaderName: (lc?.http_header_name || DEFAULT_ORIGINAL_DST_HEADER).toLowerCase(),
    portOverride: override,
    cleanupIntervalMs: positiveDuration(cfg.cleanup_interval, joinPath(path, 'cleanup_interval'), DEFAULT_CLEANUP_INTERVAL_MS),
  };
}

/** Validates a Cluster message into a ClusterConfig; throws ConfigError with the field path. */
export function parseClusterConfig(cfg: Cluster__Output, path: string, allowEds = false, secrets?: SecretStore): ClusterConfig {
  if (cfg.name === '') throw new ConfigError(joinPath(path, 'name'), 'must not be empty');
  const type = clusterType(cfg, path);
  const edsName = edsServiceName(cfg, type, path, allowEds);
  rejectUnsupported(cfg, path);
  const connectTimeoutMs = positiveDuration(cfg.connect_timeout, joinPath(path, 'connect_timeout'), DEFAULT_CONNECT_TIMEOUT_MS);
  const lb = createLbFactory(cfg, path);
  const od = originalDst(cfg, type, path);
  const httpOptions = parseHttpOptions(cfg, path);
  const laPath = joinPath(path, 'load_assignment');
  const loadAssignment = parseLoadAssignment(cfg.load_assignment, laPath, type === 'STATIC');
  if (type === 'LOGICAL_DNS') {
    const lle = cfg.load_assignment?.endpoints ?? [];
    if (lle.length !== 1 || lle[0]?.lb_endpoints.length !== 1) {
      throw new ConfigError(
        joinPath(laPath, 'endpoints'),
        'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
      );
    }
  }
  return {
    name: cfg.name,
    statName: cfg.alt_stat_name || cfg.name,
    type,
    connectTimeoutMs,
    perConnectionBufferLimitBytes: wrapped(cfg.per_connection_buffer_limit_bytes, DEFAULT_BUFFER_LIMIT),
    httpOptions,
    lb,
    loadAssignment,
    dns: dnsPolicy(cfg, path),
    tcpKeepaliveMs: tcpKeepalive(cfg, path),
    closeConnectionsOnHostSetChange: cfg.common_lb_config?.close_connections_on_host_set_change ?? false,
    waitForWarmOnInit: cfg.wait_for_warm_on_init ? cfg.wait_for_warm_on_init.value : true,
    circuitBreakers: parseCircuitBreakers(cfg.circuit_breakers, path),
    healthCheck: healthCheck(cfg, path),
    ignoreNewHostsUntilFirstHc: cfg.common_lb_config?.ignore_new_hosts_until_first_hc ?? false,
    outlierDetection: cfg.outlier_detection ? parseOutlierDetection(cfg.outlier_detection, joinPath(path, 'outlier_detection')) : undefined,
    edsServiceName: edsName,
    tls: parseUpstreamTransportSocket(cfg.transport_socket, joinPath(path, 'transport_socket'), secrets),
    originalDst: od,
  };
}

/** Builds a cluster from its Envoy config. `deps.scope` is the root scope. Throws ConfigError. */
export function createCluster(cfg: Cluster__Output, path: string, deps: ClusterDeps): Cluster {
  return new Cluster(parseClusterConfig(cfg, path, deps.allowEds ?? false, deps.secrets), deps);
}
