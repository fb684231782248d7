import { durationMs, toEnvoyDuration } from '../sources/duration.js';
import { endpointPort, type Service, type ServicePort } from '../model/mesh-model.js';
import type { TrafficPolicy } from './destination-rules.js';
import { adsConfig, ANY, isHttp2Protocol, isHttpProtocol } from './names.js';
import { localityLbEndpoints, type LocalityLb } from './endpoints.js';
import { usesLocalityWeights, type LocalityContext } from './locality-lb.js';
import { upstreamTlsSocket } from './upstream-tls.js';

type Json = Record<string, unknown>;
const MAX = 4294967295;
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Istio's defaults: effectively unlimited circuit breakers, overridden by the connection pool settings. */
function circuitBreakers(pool: TrafficPolicy['connectionPool']): Json {
  return {
    thresholds: [{
      max_connections: pool?.tcp?.maxConnections || MAX,
      max_pending_requests: pool?.http?.http1MaxPendingRequests || MAX,
      max_requests: pool?.http?.http2MaxRequests || MAX,
      max_retries: pool?.http?.maxRetries || MAX,
      track_remaining: true,
    }],
  };
}

function lbPolicy(lb: TrafficPolicy['loadBalancer']): Json {
  const ch = lb?.consistentHash;
  if (ch) {
    if (ch.maglev) return { lb_policy: 'MAGLEV', ...(ch.maglev.tableSize ? { maglev_lb_config: { table_size: ch.maglev.tableSize } } : {}) };
    const min = ch.ringHash?.minimumRingSize ?? ch.minimumRingSize;
    return { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: String(min || 1024) } };
  }
  switch (lb?.simple) {
    case 'ROUND_ROBIN': return { lb_policy: 'ROUND_ROBIN' };
    case 'RANDOM': return { lb_policy: 'RANDOM' };
    default: return { lb_policy: 'LEAST_REQUEST' }; // Istio's default; LEAST_CONN is its old name
  }
}

/** Istio enforces each configured ejection reason at 100% and turns success-rate ejection off. */
function outlierDetection(od: TrafficPolicy['outlierDetection']): Json | undefined {
  if (!od) return undefined;
  const out: Json = { enforcing_success_rate: 0 };
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = od.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = od.consecutive5xxErrors > 0 ? 100 : 0;
  } else {
    out.enforcing_consecutive_5xx = 0;
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (od.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (od.consecutiveLocalOriginFailures !== undefined) {
      out.consecutive_local_origin_failure = od.consecutiveLocalOriginFailures;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
  }
  if (od.interval) out.interval = toEnvoyDuration(od.interval);
  if (od.baseEjectionTime) out.base_ejection_time = toEnvoyDuration(od.baseEjectionTime);
  if (od.maxEjectionPercent !== undefined) out.max_ejection_percent = od.maxEjectionPercent;
  return out;
}

/** Whether the cluster speaks HTTP/2 to its endpoints (explicitly, not per downstream request). */
function upstreamH2(port: ServicePort, pool: TrafficPolicy['connectionPool']): boolean {
  return !pool?.http?.useClientProtocol && (isHttp2Protocol(port.protocol) || (pool?.http?.h2UpgradePolicy === 'UPGRADE' && isHttpProtocol(port.protocol)));
}

/** tcpKeepalive: Istio sends whole seconds (the Weft proxy sets the idle time only; validation refuses the rest). */
function keepalive(pool: TrafficPolicy['connectionPool']): Json | undefined {
  const ka = pool?.tcp?.tcpKeepalive;
  if (!ka) return undefined;
  return { tcp_keepalive: ka.time ? { keepalive_time: Math.floor(durationMs(ka.time) / 1000) } : {} };
}

function protocolOptions(port: ServicePort, pool: TrafficPolicy['connectionPool']): Json | undefined {
  const http = pool?.http;
  const common: Json = {};
  if (http?.idleTimeout) common.idle_timeout = toEnvoyDuration(http.idleTimeout);
  if (http?.maxRequestsPerConnection) common.max_requests_per_connection = http.maxRequestsPerConnection;
  if (pool?.tcp?.maxConnectionDuration) common.max_connection_duration = toEnvoyDuration(pool.tcp.maxConnectionDuration);
  const h2 = isHttp2Protocol(port.protocol) || (http?.h2UpgradePolicy === 'UPGRADE' && isHttpProtocol(port.protocol));
  if (!h2 && !http?.useClientProtocol && Object.keys(common).length === 0) return undefined;
  const options: Json = { '@type': ANY(HTTP_OPTIONS) };
  if (Object.keys(common).length > 0) options.common_http_protocol_options = common;
  // maxConcurrentStreams (Istio 1.21+) is newer than the package's 1.18 types; the strict pass checks it.
  const streams = (http as { maxConcurrentStreams?: number } | undefined)?.maxConcurrentStreams;
  const h2Options = (): Json => (streams ? { max_concurrent_streams: streams } : {});
  if (http?.useClientProtocol) options.use_downstream_protocol_config = { http_protocol_options: {}, http2_protocol_options: h2Options() };
  else options.explicit_http_config = h2 ? { http2_protocol_options: h2Options() } : { http_protocol_options: {} };
  return { [HTTP_OPTIONS]: options };
}

/** Locality load balancing of a cluster for one proxy (the mesh default, enabled, when the policy sets none). */
export function localityLb(policy: TrafficPolicy | undefined, proxy: LocalityContext, labelPriorities: boolean): LocalityLb {
  return { proxy, setting: policy?.loadBalancer?.localityLbSetting, outlierDetection: policy?.outlierDetection !== undefined, labelPriorities };
}

/** `outbound|port|subset|host`: EDS for STATIC services, STRICT/LOGICAL_DNS for DNS ones, ORIGINAL_DST for NONE. */
export function outboundCluster(name: string, service: Service, port: ServicePort, policy: TrafficPolicy | undefined, subsetLabels: Readonly<Record<string, string>> | undefined, proxy: LocalityContext): Json {
  const c: Json = { name };
  switch (service.resolution) {
    case 'STATIC':
      c.type = 'EDS';
      c.eds_cluster_config = { service_name: name, eds_config: adsConfig() };
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      c.type = service.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS';
      c.dns_lookup_family = 'V4_ONLY';
      const eps = service.endpoints.length > 0 ? service.endpoints : [{ address: service.hostname, ports: {}, labels: {}, locality: '', weight: 1, network: '', serviceAccount: '' }];
      c.load_assignment = { cluster_name: name, endpoints: localityLbEndpoints(eps, subsetLabels, (e) => endpointPort(e, port), localityLb(policy, proxy, false)) };
      break;
    }
    case 'NONE':
      c.type = 'ORIGINAL_DST';
      break;
  }
  const connectTimeout = policy?.connectionPool?.tcp?.connectTimeout;
  c.connect_timeout = connectTimeout ? toEnvoyDuration(connectTimeout) : '10s';
  Object.assign(c, service.resolution === 'NONE' ? { lb_policy: 'CLUSTER_PROVIDED' } : lbPolicy(policy?.loadBalancer));
  c.circuit_breakers = circuitBreakers(policy?.connectionPool);
  const od = outlierDetection(policy?.outlierDetection);
  if (od) c.outlier_detection = od;
  const common: Json = {};
  if (policy?.outlierDetection?.minHealthPercent !== undefined) common.healthy_panic_threshold = { value: policy.outlierDetection.minHealthPercent };
  // Consistent hashing ignores locality weights (and the Weft proxy refuses the combination).
  if (!policy?.loadBalancer?.consistentHash && usesLocalityWeights(policy?.loadBalancer?.localityLbSetting, od !== undefined)) common.locality_weighted_lb_config = {};
  if (Object.keys(common).length > 0) c.common_lb_config = common;
  const opts = protocolOptions(port, policy?.connectionPool);
  if (opts) c.typed_extension_protocol_options = opts;
  const ka = keepalive(policy?.connectionPool);
  if (ka) c.upstream_connection_options = ka;
  const tls = upstreamTlsSocket(policy?.tls, service.hostname, upstreamH2(port, policy?.connectionPool));
  if (tls) c.transport_socket = tls;
  return c;
}

/** `inbound|port||`: the local application behind a Sidecar ingress listener (`defaultEndpoint`). */
export function inboundCluster(name: string, host: string, port: number, protocol: string): Json {
  const c: Json = {
    name,
    type: 'STATIC',
    connect_timeout: '10s',
    lb_policy: 'ROUND_ROBIN',
    circuit_breakers: circuitBreakers(undefined),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }] },
  };
  if (isHttp2Protocol(protocol)) c.typed_extension_protocol_options = { [HTTP_OPTIONS]: { '@type': ANY(HTTP_OPTIONS), explicit_http_config: { http2_protocol_options: {} } } };
  return c;
}


