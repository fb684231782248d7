import { ANY, inboundClusterName } from './names.js';
import type { RpcRouteTable } from './rpc-routes.js';

type Json = Record<string, unknown>;
const RPC_PROXY = 'weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';

/** The rpc_proxy RouteConfiguration (served over ADS as `TYPE_URLS.rpcRoute`), with the colouring of its RpcRoutes. */
export function rpcRouteConfiguration(name: string, table: RpcRouteTable): Json {
  return table.colouring ? { name, routes: table.routes, colouring: table.colouring } : { name, routes: table.routes };
}

/**
 * The rpc_proxy network filter for one protocol (BOLT, DUBBO, THRIFT → codec `bolt`, `dubbo`, `thrift`), with its
 * route table inline or, by name, over RDS.
 */
export function rpcProxyFilter(statPrefix: string, protocol: string, routes: { inline: Json } | { rds: string }): Json {
  const cfg: Json = {
    '@type': ANY(RPC_PROXY),
    stat_prefix: statPrefix,
    codecs: [protocol.toLowerCase()],
  };
  if ('inline' in routes) cfg.route_config = routes.inline;
  else cfg.rds = { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routes.rds };
  return { name: 'weft.filters.network.rpc_proxy', typed_config: cfg };
}

function listener(bind: string, port: number, direction: 'INBOUND' | 'OUTBOUND', filter: Json): Json {
  return { name: `${bind}_${port}`, address: { socket_address: { address: bind, port_value: port } }, filter_chains: [{ filters: [filter] }], traffic_direction: direction };
}

/**
 * `bind_port` outbound listener for an RPC port. Its route table `bind:port` (colouring included) comes over RDS:
 * an RpcRoute change pushes only that resource, and open connections take it on their next call (no listener drain).
 */
export function outboundRpcListener(bind: string, port: number, protocol: string): Json {
  return listener(bind, port, 'OUTBOUND', rpcProxyFilter(`outbound_${bind}_${port}`, protocol, { rds: `${bind}:${port}` }));
}

/** A Sidecar ingress listener for an RPC port: every call to the local application, no timeout (like inbound HTTP). */
export function inboundRpcListener(bind: string, port: number, protocol: string): Json {
  const cluster = inboundClusterName(port);
  const table: RpcRouteTable = { routes: [{ name: 'default', match: {}, route: { cluster, timeout: '0s' } }], colouring: undefined };
  return listener(bind, port, 'INBOUND', rpcProxyFilter(`inbound_${bind}_${port}`, protocol, { inline: rpcRouteConfiguration(cluster, table) }));
}
