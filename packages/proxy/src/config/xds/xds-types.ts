/** xDS resource type URLs and the update shape shared by the ADS client, the applier and worker IPC. */
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
/** The rpc_proxy's route table (its `rds`): subscribed to only when a listener uses it. */
export const RPC_ROUTE_TYPE = 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration';
/** Envoy's thrift_proxy route tables (its `trds`). */
export const THRIFT_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.RouteConfiguration';
/** Envoy's dubbo_proxy route tables (its `drds`). */
export const DUBBO_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration';

/** Order in which updates are applied and subscriptions sent (Envoy: clusters before listeners). */
export const XDS_TYPES = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, RPC_ROUTE_TYPE, THRIFT_ROUTE_TYPE, DUBBO_ROUTE_TYPE] as const;

/** Route table types whose resources the RDS registry compiles (HTTP's, and the RPC filters' own). */
export const ROUTE_TYPES: ReadonlySet<string> = new Set([ROUTE_TYPE, RPC_ROUTE_TYPE, THRIFT_ROUTE_TYPE, DUBBO_ROUTE_TYPE]);
export type XdsTypeUrl = (typeof XDS_TYPES)[number];

/** CDS and LDS are wildcard subscriptions; EDS and RDS name their resources. */
export function isWildcardType(typeUrl: string): boolean {
  return typeUrl === CLUSTER_TYPE || typeUrl === LISTENER_TYPE;
}

/** One decoded resource (`resource` is in the generated `__Output` shape). */
export interface XdsResource {
  readonly name: string;
  readonly version: string;
  readonly resource: unknown;
}

/** One accepted-or-not response, normalised: resources added/changed and names removed. */
export interface XdsUpdate {
  readonly typeUrl: string;
  /** SotW version_info, or Delta system_version_info. */
  readonly version: string;
  readonly upserts: readonly XdsResource[];
  readonly removes: readonly string[];
}

/** What the ADS client needs from the configuration it feeds. */
export interface XdsSink {
  /** Validates and applies an update; throws (a ConfigError) to NACK it, in which case nothing is applied. */
  apply(update: XdsUpdate): void;
  /** Resource names to subscribe to for a non-wildcard type (EDS service names, RDS route names). */
  names(typeUrl: string): readonly string[];
  /** The ADS stream went up (true) or down (false). */
  onConnection(connected: boolean): void;
}
