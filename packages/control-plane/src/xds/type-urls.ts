import { TYPE_URL_PREFIX } from '@weft/api/lite';

/** A full xDS type URL (`type.googleapis.com/envoy.config.cluster.v3.Cluster`). */
export type TypeUrl = string;

export const CLUSTER_TYPE: TypeUrl = `${TYPE_URL_PREFIX}envoy.config.cluster.v3.Cluster`;
export const ENDPOINT_TYPE: TypeUrl = `${TYPE_URL_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;
export const LISTENER_TYPE: TypeUrl = `${TYPE_URL_PREFIX}envoy.config.listener.v3.Listener`;
export const ROUTE_TYPE: TypeUrl = `${TYPE_URL_PREFIX}envoy.config.route.v3.RouteConfiguration`;
export const SECRET_TYPE: TypeUrl = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`;
/** Weft's rpc_proxy route tables (the filter's `rds`). */
export const RPC_ROUTE_TYPE: TypeUrl = `${TYPE_URL_PREFIX}weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration`;

/**
 * Push order for a change touching several types: clusters before the endpoints they reference, listeners before
 * the routes they reference, so a client never warms a resource whose dependency has not arrived (Envoy's ADS rule).
 * Types not listed come last, in name order.
 */
export const PUSH_ORDER: readonly TypeUrl[] = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, RPC_ROUTE_TYPE, SECRET_TYPE];

export function orderTypes(types: Iterable<TypeUrl>): TypeUrl[] {
  const rank = (t: TypeUrl): number => {
    const i = PUSH_ORDER.indexOf(t);
    return i < 0 ? PUSH_ORDER.length : i;
  };
  return [...types].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Short name for logs and debug output (`Cluster`, `ClusterLoadAssignment`); the rpc_proxy's route tables are
 * `RpcRouteConfiguration`, apart from Envoy's RouteConfiguration (debug output is keyed by this name).
 */
export function shortTypeName(typeUrl: TypeUrl): string {
  if (typeUrl === RPC_ROUTE_TYPE) return 'RpcRouteConfiguration';
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/** The protobuf full name of the message a type URL carries. */
export function messageTypeName(typeUrl: TypeUrl): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}
