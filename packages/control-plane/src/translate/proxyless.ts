import { TYPE_URLS, type TypeUrl } from '../model/affected-by.js';
import { DOMAIN_SUFFIX, type MeshModel, type Service } from '../model/mesh-model.js';
import { effectivePolicy, findDestinationRule } from './destination-rules.js';
import { clusterLoadAssignment } from './endpoints.js';
import { adsConfig, ANY, outboundClusterName } from './names.js';
import { grpcCluster, grpcDnsCluster } from './proxyless-clusters.js';
import type { ProxyIdentity } from './proxy-identity.js';
import { sidecarScope } from './sidecar-scope.js';
import { emptyResources, hashPolicyFor, type ProxyResources } from './proxy-resources.js';
import { meshVirtualServices, serviceVirtualHost, type VirtualHostInputs } from './virtual-hosts.js';

/*
 * Proxyless gRPC (node metadata GENERATOR=grpc, e.g. @grpc/grpc-js-xds), after Istio's grpcgen: per service port an
 * `api_listener` Listener named `host:port` (plus the short names a client in the service's namespace may dial),
 * an RDS RouteConfiguration `outbound|port||host` built like the sidecar's and then cut down to what gRPC's xDS
 * implementation understands (gRFC A28 routing, A31 timeouts, A33 fault injection, A42 ring hash, A44 retries),
 * EDS clusters (ROUND_ROBIN or RING_HASH) and their ClusterLoadAssignments, LOGICAL_DNS for one-name DNS services.
 * The fault filter is always in the chain (as grpcgen does): a VirtualService edit that adds a fault then changes
 * only RDS, and routes without a fault override get an empty (inactive) fault config.
 *
 * gRPC validates strictly (grpc-js NACKs the whole resource): redirect/direct-response actions, filters other than
 * fault and router, lb policies other than ROUND_ROBIN/RING_HASH, and per-route overrides of unknown filters are
 * refused, so they are never sent. What gRPC silently ignores (rewrites, mirrors, header edits, CORS, per-try
 * timeouts, circuit breakers, outlier detection as Istio's grpcgen leaves it out) is left out too, so the config
 * sent says what the client really does.
 */

type Json = Record<string, unknown>;
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const FAULT = 'envoy.filters.http.fault';
/** retry_on conditions gRPC understands (status names); HTTP ones (5xx, reset, ...) have no gRPC meaning. */
const GRPC_RETRY_ON = new Set(['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

/** Istio's grpcgen filter chain: fault then router, both with typed_config (gRPC requires it). */
function grpcHttpFilters(): Json[] {
  return [
    { name: FAULT, typed_config: { '@type': ANY('envoy.extensions.filters.http.fault.v3.HTTPFault') } },
    { name: 'envoy.filters.http.router', typed_config: { '@type': ANY('envoy.extensions.filters.http.router.v3.Router') } },
  ];
}

/**
 * Listener names a client may resolve (`xds:///<name>:<port>`): the FQDN, and for a service in the client's own
 * namespace the short forms Istio expands (`name`, `name.ns`, `name.ns.svc`).
 */
export function grpcListenerHosts(s: Service, proxyNs: string): string[] {
  const out = [s.hostname];
  const suffix = `.${proxyNs}.${DOMAIN_SUFFIX}`;
  if (s.hostname.endsWith(suffix)) {
    const name = s.hostname.slice(0, -suffix.length);
    if (!name.includes('.')) out.push(name, `${name}.${proxyNs}`, `${name}.${proxyNs}.svc`);
  }
  return out;
}

function apiListener(name: string, s: Service, port: number, routeName: string): Json {
  const vip = s.addresses.find((a) => !a.includes('/')) ?? '0.0.0.0';
  return {
    name,
    address: { socket_address: { address: vip, port_value: port } },
    api_listener: {
      // stat_prefix: required by Envoy's validation, unused by gRPC.
      api_listener: { '@type': ANY(HCM), stat_prefix: name, rds: { route_config_name: routeName, config_source: adsConfig() }, http_filters: grpcHttpFilters() },
    },
  };
}

/** gRPC reads only these retry fields (A44: no per-try timeout, no host predicates); a policy without a gRPC status condition would do nothing, so none is sent. */
function grpcRetry(p: unknown): Json | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const policy = p as Json;
  const on = String(policy.retry_on ?? '').split(',').filter((c) => GRPC_RETRY_ON.has(c));
  const n = Number(policy.num_retries ?? 1);
  if (on.length === 0 || n < 1) return undefined;
  return { retry_on: on.join(','), num_retries: n, ...(policy.retry_back_off ? { retry_back_off: policy.retry_back_off } : {}) };
}

/**
 * Header hashing as is; source-IP affinity becomes gRPC's per-channel hash (filter_state `io.grpc.channel_id`, gRFC
 * A42's stand-in for connection properties); cookies and query strings do not exist in gRPC, so they are dropped.
 */
function grpcHashPolicy(list: unknown): Json[] {
  const out: Json[] = [];
  for (const h of (Array.isArray(list) ? list : []) as Json[]) {
    if (h.header) out.push({ header: h.header });
    else if (h.connection_properties) out.push({ filter_state: { key: 'io.grpc.channel_id' } });
  }
  return out;
}

function grpcRouteAction(a: Json): Json {
  const out: Json = {};
  if (typeof a.cluster === 'string') out.cluster = a.cluster;
  else {
    const clusters = ((a.weighted_clusters as { clusters?: Json[] } | undefined)?.clusters ?? []).map((c) => ({ name: c.name, weight: c.weight }));
    out.weighted_clusters = { clusters };
  }
  const hash = grpcHashPolicy(a.hash_policy);
  if (hash.length > 0) out.hash_policy = hash;
  const retry = grpcRetry(a.retry_policy);
  if (retry) out.retry_policy = retry;
  // Like Istio for proxyless clients: the route timeout is the max stream duration (gRPC ignores `timeout`); 0 = none.
  out.max_stream_duration = { max_stream_duration: a.timeout ?? '0s' };
  return out;
}

/** The gRPC form of a sidecar route, or undefined when gRPC could not use it. */
function grpcRoute(r: Json): Json | undefined {
  const action = r.route as Json | undefined;
  if (!action) return undefined; // redirects: gRPC NACKs any action but route
  const match = r.match as Json;
  if (match.query_parameters) return undefined; // gRPC requests carry no query string: such a route never matches
  const out: Json = { name: r.name, match, route: grpcRouteAction(action) };
  const fault = (r.typed_per_filter_config as Json | undefined)?.[FAULT];
  if (fault) out.typed_per_filter_config = { [FAULT]: fault };
  return out;
}

function grpcVirtualHost(vh: Json): Json {
  const routes = ((vh.routes as Json[] | undefined) ?? []).map(grpcRoute).filter((r): r is Json => r !== undefined);
  return { name: vh.name, domains: vh.domains, routes };
}

/**
 * The resources for a proxyless gRPC client (pure). STATIC services get EDS clusters; DNS services a LOGICAL_DNS
 * cluster when their (subset's) endpoints come down to one name, the only DNS form gRPC has; passthrough (NONE)
 * services have no endpoints to balance and are not served.
 */
export function translateForGrpc(model: MeshModel, proxy: ProxyIdentity): ProxyResources {
  const out = emptyResources();
  const put = (type: TypeUrl, name: string, r: Json): void => {
    out.get(type)?.set(name, r);
  };
  const scope = sidecarScope(model, proxy);
  const inputs: VirtualHostInputs = { model, vss: meshVirtualServices(model, proxy.namespace), proxyNs: proxy.namespace, proxyLabels: proxy.labels, hashPolicy: hashPolicyFor(model, proxy.namespace, proxy.labels) };
  for (const s of scope.services) {
    if (s.resolution === 'NONE') continue;
    const dr = findDestinationRule(model, s.hostname, s.namespace, proxy.namespace, proxy.labels);
    for (const p of s.ports) {
      const routeName = outboundClusterName(p.number, '', s.hostname);
      for (const subset of [undefined, ...(dr?.spec.subsets ?? [])]) {
        const name = outboundClusterName(p.number, subset?.name ?? '', s.hostname);
        const policy = effectivePolicy(dr, p.number, subset);
        if (s.resolution === 'STATIC') {
          put(TYPE_URLS.cluster, name, grpcCluster(name, policy));
          put(TYPE_URLS.endpoint, name, clusterLoadAssignment(name, s, p, subset?.labels));
        } else {
          const c = grpcDnsCluster(name, s, p, subset?.labels, policy);
          if (c) put(TYPE_URLS.cluster, name, c);
        }
      }
      if (!out.get(TYPE_URLS.cluster)?.has(routeName)) continue; // a DNS service gRPC cannot resolve
      for (const host of grpcListenerHosts(s, proxy.namespace)) put(TYPE_URLS.listener, `${host}:${p.number}`, apiListener(`${host}:${p.number}`, s, p.number, routeName));
      put(TYPE_URLS.route, routeName, { name: routeName, virtual_hosts: [grpcVirtualHost(serviceVirtualHost(inputs, s, p.number))] });
    }
  }
  return out;
}
