import { isDeepStrictEqual } from 'node:util';
import type { MeshModel, Service } from './mesh-model.js';

export const TYPE_URLS = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  /** The rpc_proxy's route tables, served like RDS so that an RpcRoute change does not touch listeners. */
  rpcRoute: 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration',
} as const;
export type TypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

/**
 * What a model change touches, so the xDS server can scope pushes:
 * - `full`: policies or service shapes changed — recompute every type for every proxy;
 * - otherwise only endpoints of `endpointHosts` changed — recompute EDS, and only the ClusterLoadAssignments of
 *   those hosts (`isAffectedResource`), for proxies that have them.
 */
export interface PushScope {
  readonly full: boolean;
  readonly types: ReadonlySet<TypeUrl>;
  readonly endpointHosts: ReadonlySet<string>;
}

const ALL_TYPES: ReadonlySet<TypeUrl> = new Set(Object.values(TYPE_URLS));
const NOTHING: PushScope = { full: false, types: new Set(), endpointHosts: new Set() };

function byKey(services: readonly Service[]): Map<string, Service> {
  return new Map(services.map((s) => [`${s.namespace}/${s.hostname}`, s]));
}

export function affectedBy(before: MeshModel, after: MeshModel): PushScope {
  if (
    !isDeepStrictEqual(before.virtualServices, after.virtualServices) ||
    !isDeepStrictEqual(before.destinationRules, after.destinationRules) ||
    !isDeepStrictEqual(before.sidecars, after.sidecars) ||
    !isDeepStrictEqual(before.gateways, after.gateways) ||
    !isDeepStrictEqual(before.rpcRoutes, after.rpcRoutes)
  ) {
    return { full: true, types: ALL_TYPES, endpointHosts: new Set() };
  }
  const old = byKey(before.services);
  const now = byKey(after.services);
  const hosts = new Set<string>();
  for (const [key, s] of now) {
    const o = old.get(key);
    if (!o) return { full: true, types: ALL_TYPES, endpointHosts: new Set() };
    const { endpoints: e1, ...shape1 } = o;
    const { endpoints: e2, ...shape2 } = s;
    if (!isDeepStrictEqual(shape1, shape2)) return { full: true, types: ALL_TYPES, endpointHosts: new Set() };
    // DNS services carry their endpoints inline in the cluster (STRICT_DNS load_assignment).
    if (!isDeepStrictEqual(e1, e2)) {
      if (s.resolution === 'DNS' || s.resolution === 'DNS_ROUND_ROBIN') return { full: true, types: ALL_TYPES, endpointHosts: new Set() };
      hosts.add(s.hostname);
    }
  }
  for (const key of old.keys()) if (!now.has(key)) return { full: true, types: ALL_TYPES, endpointHosts: new Set() };
  if (hosts.size === 0) return NOTHING;
  return { full: false, types: new Set([TYPE_URLS.endpoint]), endpointHosts: hosts };
}

/** Whether a resource (type URL + name) of a proxy is touched by `scope`. */
export function isAffectedResource(scope: PushScope, typeUrl: string, name: string): boolean {
  if (scope.full) return true;
  if (typeUrl !== TYPE_URLS.endpoint) return false;
  // outbound|port|subset|host
  const host = name.split('|')[3];
  return host !== undefined && scope.endpointHosts.has(host);
}
