import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';
import type { ConfigSource__Output } from '@weft/api/envoy/envoy/config/core/v3/ConfigSource.js';
import type { Node__Output } from '@weft/api/envoy/envoy/config/core/v3/Node.js';
import { optDurationMs } from '../../upstream/config-util.js';

/** Envoy's xDS stream retry back-off (base 500 ms, max 30 s) unless `envoy_grpc.retry_policy` says otherwise. */
const DEFAULT_BACKOFF_BASE_MS = 500;
const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** ConfigSource.initial_fetch_timeout default. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

/** `dynamic_resources` compiled: where the ADS server is and how to talk to it. */
export interface AdsConfig {
  readonly delta: boolean;
  /** gRPC target `host:port`. */
  readonly target: string;
  /** The control-plane cluster name (envoy_grpc), for logs. */
  readonly clusterName: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly setNodeOnFirstMessageOnly: boolean;
  readonly hasCds: boolean;
  readonly hasLds: boolean;
  readonly cdsInitialFetchTimeoutMs: number;
  readonly ldsInitialFetchTimeoutMs: number;
  readonly node: Node__Output | null;
}

/** The only config source dynamic resources may use: ADS (`ads: {}`). */
export function requireAds(src: ConfigSource__Output | null, path: string): number {
  if (!src) throw new ConfigError(path, 'is required');
  if (src.config_source_specifier !== 'ads') {
    throw new ConfigError(joinPath(path, src.config_source_specifier ?? 'config_source_specifier'), 'only ads config sources are supported yet');
  }
  if (src.resource_api_version !== 'V3' && src.resource_api_version !== 'AUTO') throw new ConfigError(joinPath(path, 'resource_api_version'), 'only V3 is supported');
  return optDurationMs(src.initial_fetch_timeout, DEFAULT_INITIAL_FETCH_TIMEOUT_MS);
}

/** Validates `dynamic_resources` (ads_config + lds_config/cds_config via ADS); undefined when absent. */
export function parseAdsConfig(b: Bootstrap__Output): AdsConfig | undefined {
  const dr = b.dynamic_resources;
  if (!dr) return undefined;
  const path = 'dynamic_resources';
  if (dr.lds_resources_locator) throw new ConfigError(joinPath(path, 'lds_resources_locator'), 'is not supported yet');
  if (dr.cds_resources_locator) throw new ConfigError(joinPath(path, 'cds_resources_locator'), 'is not supported yet');
  const ads = dr.ads_config;
  const ap = joinPath(path, 'ads_config');
  if (!ads) throw new ConfigError(ap, 'is required (lds_config/cds_config come over ADS)');
  if (ads.api_type !== 'GRPC' && ads.api_type !== 'DELTA_GRPC') throw new ConfigError(joinPath(ap, 'api_type'), 'must be GRPC or DELTA_GRPC for ADS');
  if (ads.transport_api_version !== 'V3' && ads.transport_api_version !== 'AUTO') throw new ConfigError(joinPath(ap, 'transport_api_version'), 'only V3 is supported');
  if (ads.cluster_names.length > 0) throw new ConfigError(joinPath(ap, 'cluster_names'), 'is for REST; use grpc_services');
  if (ads.config_validators.length > 0) throw new ConfigError(joinPath(ap, 'config_validators'), 'is not supported yet');
  if (ads.grpc_services.length !== 1) throw new ConfigError(joinPath(ap, 'grpc_services'), 'exactly one gRPC service is supported');
  const gs = ads.grpc_services[0];
  const gp = joinPath(joinPath(ap, 'grpc_services'), 0);
  let target: string;
  let clusterName = '';
  let backoffBaseMs = DEFAULT_BACKOFF_BASE_MS;
  let backoffMaxMs = DEFAULT_BACKOFF_MAX_MS;
  if (gs?.envoy_grpc) {
    clusterName = gs.envoy_grpc.cluster_name;
    target = staticClusterTarget(b, clusterName, joinPath(gp, 'envoy_grpc.cluster_name'));
    const rb = gs.envoy_grpc.retry_policy?.retry_back_off;
    if (rb?.base_interval) {
      backoffBaseMs = optDurationMs(rb.base_interval, DEFAULT_BACKOFF_BASE_MS);
      backoffMaxMs = optDurationMs(rb.max_interval, backoffBaseMs * 10);
    }
  } else if (gs?.google_grpc) {
    if (gs.google_grpc.channel_credentials) throw new ConfigError(joinPath(gp, 'google_grpc.channel_credentials'), 'only insecure channels are supported yet');
    target = gs.google_grpc.target_uri;
  } else {
    throw new ConfigError(gp, 'envoy_grpc or google_grpc is required');
  }
  if (gs.initial_metadata.length > 0) throw new ConfigError(joinPath(gp, 'initial_metadata'), 'is not supported yet');
  if (!dr.cds_config && !dr.lds_config) throw new ConfigError(path, 'cds_config or lds_config is required');
  return {
    delta: ads.api_type === 'DELTA_GRPC',
    target,
    clusterName,
    backoffBaseMs,
    backoffMaxMs,
    setNodeOnFirstMessageOnly: ads.set_node_on_first_message_only,
    hasCds: !!dr.cds_config,
    hasLds: !!dr.lds_config,
    cdsInitialFetchTimeoutMs: dr.cds_config ? requireAds(dr.cds_config, joinPath(path, 'cds_config')) : 0,
    ldsInitialFetchTimeoutMs: dr.lds_config ? requireAds(dr.lds_config, joinPath(path, 'lds_config')) : 0,
    node: b.node,
  };
}

/**
 * The control plane must be a static cluster. With IP endpoints, all of them form one grpc-js target
 * (`ipv4:a:1,b:2`): the channel uses the first that answers and moves to the next when it fails, so several
 * control-plane replicas give failover as Envoy's cluster would. A hostname endpoint is resolved by grpc-js itself,
 * and then only the first endpoint is used (grpc-js has no multi-host DNS target).
 */
export function staticClusterTarget(b: Bootstrap__Output, name: string, path: string): string {
  const c = (b.static_resources?.clusters ?? []).find((x) => x.name === name);
  if (!c) throw new ConfigError(path, `unknown static cluster '${name}'`);
  const addresses = (c.load_assignment?.endpoints ?? []).flatMap((l) => l.lb_endpoints.map((e) => e.endpoint?.address?.socket_address)).filter((sa) => sa !== undefined && sa !== null);
  const first = addresses[0];
  if (!first) throw new ConfigError(path, `cluster '${name}' has no socket address endpoint`);
  const hostPort = (a: string, port: number): string => (a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`);
  if (addresses.length > 1) {
    const v4 = addresses.every((a) => isIPv4(a.address));
    if (v4 || addresses.every((a) => isIPv6(a.address))) return `${v4 ? 'ipv4' : 'ipv6'}:${addresses.map((a) => hostPort(a.address, a.port_value ?? 0)).join(',')}`;
  }
  return hostPort(first.address, first.port_value ?? 0);
}
