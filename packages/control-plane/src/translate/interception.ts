import { ANY } from './names.js';
import { tcpProxyFilter } from './listeners.js';

type Json = Record<string, unknown>;

/** Istio's ports for traffic iptables redirects to the sidecar (`weft intercept on` uses the same). */
export const VIRTUAL_OUTBOUND_PORT = 15001;
export const VIRTUAL_INBOUND_PORT = 15006;
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/**
 * Where redirected outbound connections arrive: `use_original_dst` hands each to the listener of its original
 * destination (`0.0.0.0_<port>`, not bound); destinations without a listener pass through to where they were going.
 */
export function virtualOutboundListener(): Json {
  return {
    name: 'virtualOutbound',
    address: { socket_address: { address: '0.0.0.0', port_value: VIRTUAL_OUTBOUND_PORT } },
    use_original_dst: true,
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ name: 'PassthroughFilterChain', filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)] }],
  };
}

/** The original destination cluster behind the passthrough chain. */
export function passthroughCluster(): Json {
  return { name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '10s' };
}

/** An outbound listener in interception mode: the 15001 hand-off finds it; binding would take the app's ports. */
export function unbound(listener: Json): Json {
  return { ...listener, bind_to_port: false };
}

/**
 * Where redirected inbound connections arrive: the original_dst listener filter restores the destination and each
 * ingress port's filter chain (the per-port inbound listener's, matched on destination_port) takes its connections.
 */
export function virtualInboundListener(ports: ReadonlyArray<{ readonly port: number; readonly listener: Json }>): Json {
  const filterChains = ports.map(({ port, listener }) => {
    const chain = (listener.filter_chains as Json[] | undefined)?.[0] ?? {};
    return { ...chain, filter_chain_match: { destination_port: port } };
  });
  return {
    name: 'virtualInbound',
    address: { socket_address: { address: '0.0.0.0', port_value: VIRTUAL_INBOUND_PORT } },
    listener_filters: [{ name: 'envoy.filters.listener.original_dst', typed_config: { '@type': ANY('envoy.extensions.filters.listener.original_dst.v3.OriginalDst') } }],
    traffic_direction: 'INBOUND',
    filter_chains: filterChains,
  };
}
