import { TYPE_URLS, type TypeUrl } from '../model/affected-by.js';
import type { MeshModel } from '../model/mesh-model.js';
import { toEnvoyDuration } from '../sources/duration.js';
import { effectivePolicy, findDestinationRule } from './destination-rules.js';

type Json = Record<string, unknown>;
/** Envoy resources of one proxy as plain JSON, by type URL then resource name. */
export type ProxyResources = Map<TypeUrl, Map<string, Json>>;

export function emptyResources(): ProxyResources {
  return new Map(Object.values(TYPE_URLS).map((t) => [t, new Map<string, Json>()]));
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
