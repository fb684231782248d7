import { endpointPort, labelsMatch, type Service, type ServiceEndpoint, type ServicePort } from '../model/mesh-model.js';
import type { TrafficPolicy } from './destination-rules.js';
import { adsConfig } from './names.js';

type Json = Record<string, unknown>;
/** gRPC's ring hash accepts rings up to 8M entries and NACKs larger minimums. */
const MAX_RING_SIZE = 8388608;

/**
 * Ring hash for consistentHash (Maglev too: gRPC has only the ring), else round robin: gRPC NACKs LEAST_REQUEST and
 * RANDOM, and Istio's grpcgen also serves round robin for every `simple` policy. Outlier detection and circuit
 * breakers are left out as grpcgen does.
 */
function lbPolicy(policy: TrafficPolicy | undefined): Json {
  const ch = policy?.loadBalancer?.consistentHash;
  if (!ch) return { lb_policy: 'ROUND_ROBIN' };
  const min = ch.ringHash?.minimumRingSize ?? ch.minimumRingSize;
  return { lb_policy: 'RING_HASH', ...(min ? { ring_hash_lb_config: { minimum_ring_size: String(Math.min(min, MAX_RING_SIZE)) } } : {}) };
}

/** grpcgen's cluster: EDS over ADS. */
export function grpcCluster(name: string, policy: TrafficPolicy | undefined): Json {
  return { name, type: 'EDS', eds_cluster_config: { service_name: name, eds_config: adsConfig() }, ...lbPolicy(policy) };
}

/**
 * A DNS service as gRPC's LOGICAL_DNS cluster (gRFC A37): exactly one name, resolved by the client, balanced over
 * its addresses. Undefined when the (subset's) endpoints are not exactly one: gRPC has no STRICT_DNS.
 */
export function grpcDnsCluster(name: string, s: Service, port: ServicePort, subsetLabels: Readonly<Record<string, string>> | undefined, policy: TrafficPolicy | undefined): Json | undefined {
  const self: ServiceEndpoint = { address: s.hostname, ports: {}, labels: {}, locality: '', weight: 1, network: '', serviceAccount: '' };
  if (s.endpoints.length === 0 && s.hostname.includes('*')) return undefined; // a wildcard host names nothing to resolve
  const eps = (s.endpoints.length > 0 ? s.endpoints : [self]).filter((e) => labelsMatch(subsetLabels, e.labels));
  const [only] = eps;
  if (!only || eps.length > 1) return undefined;
  const endpoint = { address: { socket_address: { address: only.address, port_value: endpointPort(only, port) } } };
  return { name, type: 'LOGICAL_DNS', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint }] }] }, ...lbPolicy(policy) };
}
