import { TYPE_URLS, type TypeUrl } from '../model/affected-by.js';
import type { MeshModel, Service, ServicePort } from '../model/mesh-model.js';
import { toEnvoyDuration } from '../sources/duration.js';
import { outboundCluster } from './clusters.js';
import { effectivePolicy, findDestinationRule, type Subset } from './destination-rules.js';
import { clusterLoadAssignment } from './endpoints.js';
import { outboundClusterName } from './names.js';

type Json = Record<string, unknown>;
export type ProxyResources = Map<TypeUrl, Map<string, Json>>;

export function emptyResources(): ProxyResources {
  return new Map(Object.values(TYPE_URLS).map((t) => [t, new Map<string, Json>()]));
}

export function putResource(out: ProxyResources, type: TypeUrl, name: string, r: Json): void {
  out.get(type)?.set(name, r);
}

/** Consistent-hash route policy from the destination's DestinationRule (Istio puts it on the route). */
export function hashPolicyFor(model: MeshModel, proxyNs: string) {
  return (host: string, subset: string, port: number): Json[] | undefined => {
    const svc = model.services.find((s) => s.hostname === host);
    const dr = findDestinationRule(model, host, svc?.namespace ?? proxyNs, proxyNs);
    const ch = effectivePolicy(dr, port, dr?.spec.subsets?.find((s) => s.name === subset))?.loadBalancer?.consistentHash;
    if (!ch) return undefined;
    if (ch.httpHeaderName) return [{ header: { header_name: ch.httpHeaderName } }];
    if (ch.httpCookie) return [{ cookie: { name: ch.httpCookie.name, ...(ch.httpCookie.path ? { path: ch.httpCookie.path } : {}), ...(ch.httpCookie.ttl ? { ttl: toEnvoyDuration(ch.httpCookie.ttl) } : {}) } }];
    if (ch.useSourceIp) return [{ connection_properties: { source_ip: true } }];
    if (ch.httpQueryParameterName) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
    return undefined;
  };
}

/** The outbound cluster (and its ClusterLoadAssignment for STATIC services) of one service port and subset. */
export function putServiceCluster(out: ProxyResources, model: MeshModel, s: Service, p: ServicePort, subset: Subset | undefined, proxyNs: string): void {
  const dr = findDestinationRule(model, s.hostname, s.namespace, proxyNs);
  const name = outboundClusterName(p.number, subset?.name ?? '', s.hostname);
  putResource(out, TYPE_URLS.cluster, name, outboundCluster(name, s, p, effectivePolicy(dr, p.number, subset), subset?.labels));
  if (s.resolution === 'STATIC') putResource(out, TYPE_URLS.endpoint, name, clusterLoadAssignment(name, s, p, subset?.labels));
}
