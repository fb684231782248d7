import { endpointPort, labelsMatch, type Service, type ServiceEndpoint, type ServicePort } from '../model/mesh-model.js';

type Json = Record<string, unknown>;

function locality(l: string): Json | undefined {
  if (!l) return undefined;
  const [region = '', zone = '', subZone = ''] = l.split('/');
  const out: Json = { region };
  if (zone) out.zone = zone;
  if (subZone) out.sub_zone = subZone;
  return out;
}

/**
 * Endpoints grouped by locality (in order of first appearance), each with its weight; a locality's weight is the
 * sum of its endpoints' (grpc-js-xds drops localities without a positive weight).
 */
export function localityLbEndpoints(endpoints: readonly ServiceEndpoint[], subsetLabels: Readonly<Record<string, string>> | undefined, portOf: (e: ServiceEndpoint) => number): Json[] {
  const groups = new Map<string, { lb: Json[]; weight: number }>();
  for (const e of endpoints) {
    if (!labelsMatch(subsetLabels, e.labels)) continue;
    let g = groups.get(e.locality);
    if (!g) {
      g = { lb: [], weight: 0 };
      groups.set(e.locality, g);
    }
    g.lb.push({
      endpoint: { address: { socket_address: { address: e.address, port_value: portOf(e) } } },
      load_balancing_weight: e.weight,
    });
    g.weight += e.weight;
  }
  return [...groups].map(([l, g]) => {
    const loc = locality(l);
    return { locality: loc ?? {}, lb_endpoints: g.lb, load_balancing_weight: g.weight };
  });
}

export function clusterLoadAssignment(name: string, service: Service, port: ServicePort, subsetLabels: Readonly<Record<string, string>> | undefined): Json {
  return { cluster_name: name, endpoints: localityLbEndpoints(service.endpoints, subsetLabels, (e) => endpointPort(e, port)) };
}
