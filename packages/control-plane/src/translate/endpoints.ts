import { endpointPort, isRpcProtocol, labelsMatch, type Service, type ServiceEndpoint, type ServicePort } from '../model/mesh-model.js';
import { applyLocalityLb, type LbGroup, type LocalityContext, type LocalityLbSetting } from './locality-lb.js';

type Json = Record<string, unknown>;

function locality(l: string): Json | undefined {
  if (!l) return undefined;
  const [region = '', zone = '', subZone = ''] = l.split('/');
  const out: Json = { region };
  if (zone) out.zone = zone;
  if (subZone) out.sub_zone = subZone;
  return out;
}

/** Locality load balancing inputs for one proxy and cluster. */
export interface LocalityLb {
  readonly proxy: LocalityContext;
  readonly setting: LocalityLbSetting | undefined;
  readonly outlierDetection: boolean;
  /** failoverPriority (label based) applies to EDS clusters only, as in Istio. */
  readonly labelPriorities: boolean;
}

/** Endpoints grouped by locality (in order of first appearance); a locality's weight is the sum of its endpoints'. */
function groupEndpoints(endpoints: readonly ServiceEndpoint[], subsetLabels: Readonly<Record<string, string>> | undefined, portOf: (e: ServiceEndpoint) => number, labelMetadata: boolean): LbGroup[] {
  const groups = new Map<string, LbGroup>();
  for (const e of endpoints) {
    if (!labelsMatch(subsetLabels, e.labels)) continue;
    let g = groups.get(e.locality);
    if (!g) groups.set(e.locality, (g = { locality: e.locality, endpoints: [], lbEndpoints: [], weight: 0, priority: 0 }));
    g.endpoints.push(e);
    g.lbEndpoints.push({
      endpoint: { address: { socket_address: { address: e.address, port_value: portOf(e) } } },
      load_balancing_weight: e.weight,
      // The rpc_proxy picks hosts by these (colour routing, metadata_match).
      ...(labelMetadata && Object.keys(e.labels).length > 0 ? { metadata: { filter_metadata: { 'envoy.lb': { ...e.labels } } } } : {}),
    });
    g.weight += e.weight;
  }
  return [...groups.values()];
}

/**
 * LocalityLbEndpoints with their weights (grpc-js-xds drops localities without a positive weight) and, with
 * locality load balancing, the priorities / weights relative to the asking proxy.
 */
export function localityLbEndpoints(endpoints: readonly ServiceEndpoint[], subsetLabels: Readonly<Record<string, string>> | undefined, portOf: (e: ServiceEndpoint) => number, lb?: LocalityLb, labelMetadata = false): Json[] {
  let groups = groupEndpoints(endpoints, subsetLabels, portOf, labelMetadata);
  if (lb) groups = applyLocalityLb(groups, lb.proxy, lb.setting, lb.outlierDetection, lb.labelPriorities);
  return groups.map((g) => ({
    locality: locality(g.locality) ?? {},
    lb_endpoints: g.lbEndpoints,
    load_balancing_weight: g.weight,
    ...(g.priority > 0 ? { priority: g.priority } : {}),
  }));
}

export function clusterLoadAssignment(name: string, service: Service, port: ServicePort, subsetLabels: Readonly<Record<string, string>> | undefined, lb?: LocalityLb): Json {
  return { cluster_name: name, endpoints: localityLbEndpoints(service.endpoints, subsetLabels, (e) => endpointPort(e, port), lb, isRpcProtocol(port.protocol)) };
}
