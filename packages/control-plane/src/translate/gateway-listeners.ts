import { adsConfig, ANY } from './names.js';
import { sidecarHttpFilters, tcpProxyFilter } from './listeners.js';
import type { GatewayPort, GatewayServer, ServerTls } from './gateway-scope.js';

type Json = Record<string, unknown>;
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const TLS_INSPECTOR = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

/** Istio's TLSV1_x names → Envoy's TLSv1_x. */
const TLS_VERSION: Record<string, string> = { TLS_AUTO: 'TLS_AUTO', TLSV1_0: 'TLSv1_0', TLSV1_1: 'TLSv1_1', TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3' };

/** The gateway's HTTP connection manager: routes over RDS; the gateway is the edge, so it uses the remote address. */
export function gatewayHcm(bind: string, port: number, routeName: string): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': ANY(HCM),
      stat_prefix: `outbound_${bind}_${port}`,
      rds: { route_config_name: routeName, config_source: adsConfig() },
      http_filters: sidecarHttpFilters(),
      use_remote_address: true,
    },
  };
}

/**
 * DownstreamTlsContext of a SIMPLE / MUTUAL server from file paths (Istio's gateway defaults: TLS 1.2 minimum, ALPN
 * h2 + http/1.1 for HTTPS); MUTUAL requires a client certificate signed by `caCertificates`, with `subjectAltNames` if set.
 */
export function serverTransportSocket(tls: ServerTls, http: boolean): Json {
  const params: Json = { tls_minimum_protocol_version: TLS_VERSION[tls.minProtocolVersion ?? 'TLSV1_2'] ?? 'TLSv1_2' };
  if (tls.maxProtocolVersion) params.tls_maximum_protocol_version = TLS_VERSION[tls.maxProtocolVersion];
  if (tls.cipherSuites?.length) params.cipher_suites = [...tls.cipherSuites];
  const common: Json = {
    ...(http ? { alpn_protocols: ['h2', 'http/1.1'] } : {}),
    tls_certificates: [{ certificate_chain: { filename: tls.serverCertificate }, private_key: { filename: tls.privateKey } }],
    tls_params: params,
  };
  const mutual = tls.mode === 'MUTUAL';
  if (mutual) {
    const validation: Json = { trusted_ca: { filename: tls.caCertificates } };
    if (tls.subjectAltNames?.length) validation.match_subject_alt_names = tls.subjectAltNames.map((exact) => ({ exact }));
    common.validation_context = validation;
  }
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': ANY(DOWNSTREAM_TLS), common_tls_context: common, require_client_certificate: mutual },
  };
}

/** SNI names of a filter chain; a `*` among them means any name (a chain without server_names). */
export function sniMatch(hosts: readonly string[]): Json | undefined {
  if (hosts.length === 0 || hosts.includes('*')) return undefined;
  return { server_names: [...new Set(hosts)].sort() };
}

/** A terminating chain for one HTTPS server: SNI from its hosts, its certificates, HCM on its own route table. */
export function httpsChain(port: GatewayPort, s: GatewayServer, routeName: string): Json {
  const chain: Json = {};
  const match = sniMatch(s.hosts.map((h) => h.host));
  if (match) chain.filter_chain_match = match;
  chain.transport_socket = serverTransportSocket(s.server.tls ?? {}, true);
  chain.filters = [gatewayHcm(port.bind, port.number, routeName)];
  return chain;
}

/** A tcp_proxy chain: by SNI when names are given, terminating TLS when the server has certificates (`tls`). */
export function tcpChain(sniHosts: readonly string[] | undefined, target: string | Json[], statPrefix: string, tls?: ServerTls): Json {
  const chain: Json = {};
  const match = sniHosts ? sniMatch(sniHosts) : undefined;
  if (match) chain.filter_chain_match = match;
  if (tls) chain.transport_socket = serverTransportSocket(tls, false);
  chain.filters = [tcpProxyFilter(statPrefix, target)];
  return chain;
}

export function gatewayListener(port: GatewayPort, chains: Json[]): Json {
  const out: Json = {
    name: `${port.bind}_${port.number}`,
    address: { socket_address: { address: port.bind, port_value: port.number } },
    filter_chains: chains,
    traffic_direction: 'OUTBOUND',
  };
  if (port.kind === 'tls') out.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': ANY(TLS_INSPECTOR) } }];
  return out;
}
