import { adsConfig, ANY, inboundClusterName, isHttpProtocol } from './names.js';

type Json = Record<string, unknown>;
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** The sidecar HTTP filter chain (Istio's, minus its Wasm/stats extensions): fault, CORS, router last. */
export function sidecarHttpFilters(): Json[] {
  return [
    { name: 'envoy.filters.http.fault', typed_config: { '@type': ANY('envoy.extensions.filters.http.fault.v3.HTTPFault') } },
    { name: 'envoy.filters.http.cors', typed_config: { '@type': ANY('envoy.extensions.filters.http.cors.v3.Cors') } },
    { name: 'envoy.filters.http.router', typed_config: { '@type': ANY('envoy.extensions.filters.http.router.v3.Router') } },
  ];
}

function listener(name: string, bind: string, port: number, direction: 'INBOUND' | 'OUTBOUND', filters: Json[]): Json {
  return { name, address: { socket_address: { address: bind, port_value: port } }, filter_chains: [{ filters }], traffic_direction: direction };
}

function hcm(typed: Json): Json {
  return { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': ANY(HCM), ...typed } };
}

/** `bind_port` outbound HTTP listener whose routes come over RDS as `bind:port`. */
export function outboundHttpListener(bind: string, port: number): Json {
  return listener(`${bind}_${port}`, bind, port, 'OUTBOUND', [
    hcm({
      stat_prefix: `outbound_${bind}_${port}`,
      rds: { route_config_name: `${bind}:${port}`, config_source: adsConfig() },
      http_filters: sidecarHttpFilters(),
      use_remote_address: false,
    }),
  ]);
}

export function tcpProxyFilter(statPrefix: string, target: string | Json[]): Json {
  const cfg: Json = { '@type': ANY(TCP_PROXY), stat_prefix: statPrefix };
  if (typeof target === 'string') cfg.cluster = target;
  else cfg.weighted_clusters = { clusters: target };
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: cfg };
}

export function outboundTcpListener(bind: string, port: number, target: string | Json[]): Json {
  return listener(`${bind}_${port}`, bind, port, 'OUTBOUND', [tcpProxyFilter(typeof target === 'string' ? target : `outbound_${bind}_${port}`, target)]);
}

/**
 * Istio's default inbound route retry (since 1.24, istio/istio#52055): a request reset before any byte of it went to
 * the application is retried up to twice. Not for gRPC ports (Istio leaves those without a policy).
 */
export function inboundRetryPolicy(protocol: string): Json | undefined {
  return protocol === 'GRPC' || protocol === 'GRPC-WEB' ? undefined : { retry_on: 'reset-before-request', num_retries: 2 };
}

/** A Sidecar ingress listener (captureMode NONE): `bind:port` forwarding to the local app's `inbound|port||` cluster. */
export function inboundListener(bind: string, port: number, protocol: string): Json {
  const cluster = inboundClusterName(port);
  if (!isHttpProtocol(protocol)) return listener(`${bind}_${port}`, bind, port, 'INBOUND', [tcpProxyFilter(cluster, cluster)]);
  const retry = inboundRetryPolicy(protocol);
  const route: Json = { cluster, timeout: '0s' };
  if (retry !== undefined) route.retry_policy = retry;
  return listener(`${bind}_${port}`, bind, port, 'INBOUND', [
    hcm({
      stat_prefix: `inbound_${bind}_${port}`,
      route_config: {
        name: cluster,
        validate_clusters: false,
        virtual_hosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route }] }],
      },
      http_filters: sidecarHttpFilters(),
      use_remote_address: false,
    }),
  ]);
}
