import { ANY, inboundClusterName } from './names.js';
import type { RpcRouteTable } from './rpc-routes.js';

type Json = Record<string, unknown>;
const RPC_PROXY = 'weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';

/** The rpc_proxy network filter for one protocol (BOLT, DUBBO, THRIFT → codec `bolt`, `dubbo`, `thrift`). */
export function rpcProxyFilter(statPrefix: string, protocol: string, routeConfigName: string, table: RpcRouteTable): Json {
  const cfg: Json = {
    '@type': ANY(RPC_PROXY),
    stat_prefix: statPrefix,
    codecs: [protocol.toLowerCase()],
    route_config: { name: routeConfigName, routes: table.routes },
  };
  if (table.colouring) cfg.colouring = table.colouring;
  return { name: 'weft.filters.network.rpc_proxy', typed_config: cfg };
}

function listener(bind: string, port: number, direction: 'INBOUND' | 'OUTBOUND', filter: Json): Json {
  return { name: `${bind}_${port}`, address: { socket_address: { address: bind, port_value: port } }, filter_chains: [{ filters: [filter] }], traffic_direction: direction };
}

/** `bind_port` outbound listener for an RPC port: the route table is inline (the rpc_proxy has no RDS yet). */
export function outboundRpcListener(bind: string, port: number, protocol: string, table: RpcRouteTable): Json {
  return listener(bind, port, 'OUTBOUND', rpcProxyFilter(`outbound_${bind}_${port}`, protocol, `${bind}:${port}`, table));
}

/** A Sidecar ingress listener for an RPC port: every call to the local application, no timeout (like inbound HTTP). */
export function inboundRpcListener(bind: string, port: number, protocol: string): Json {
  const cluster = inboundClusterName(port);
  const table: RpcRouteTable = { routes: [{ name: 'default', match: {}, route: { cluster, timeout: '0s' } }], colouring: undefined };
  return listener(bind, port, 'INBOUND', rpcProxyFilter(`inbound_${bind}_${port}`, protocol, cluster, table));
}
