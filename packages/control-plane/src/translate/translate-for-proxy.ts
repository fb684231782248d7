import { TYPE_URLS, type TypeUrl } from '../model/affected-by.js';
import { isRpcProtocol, resolveHost, type MeshModel, type Service, type ServicePort } from '../model/mesh-model.js';
import { inboundCluster } from './clusters.js';
import { findDestinationRule } from './destination-rules.js';
import { translateForGateway } from './translate-for-gateway.js';
import { emptyResources, hashPolicyFor, putResource, putServiceCluster, type ProxyResources } from './proxy-resources.js';
import { inboundListener, outboundHttpListener, outboundTcpListener } from './listeners.js';
import { passthroughCluster, PASSTHROUGH_CLUSTER, unbound, virtualInboundListener, virtualOutboundListener } from './interception.js';
import { inboundRpcListener, outboundRpcListener, rpcRouteConfiguration } from './rpc-listeners.js';
import { rpcRouteTable } from './rpc-routes.js';
import { inboundClusterName, isHttpProtocol, outboundClusterName } from './names.js';
import type { ProxyIdentity } from './proxy-identity.js';
import { sidecarScope, type EgressScope } from './sidecar-scope.js';
import { meshVirtualServices, serviceVirtualHost, virtualServiceFor, type VirtualHostInputs } from './virtual-hosts.js';

type Json = Record<string, unknown>;
export type { ProxyResources };

/** Listener ports of an egress scope: its own port, or (catch-all) every port of its services not taken elsewhere. */
function egressPorts(e: EgressScope, taken: ReadonlySet<string>): ServicePort[] {
  if (e.port) return [e.port];
  const byNumber = new Map<number, ServicePort>();
  for (const s of e.services) for (const p of s.ports) if (!taken.has(`${e.bind}:${p.number}`) && !byNumber.has(p.number)) byNumber.set(p.number, p);
  return [...byNumber.values()].sort((a, b) => a.number - b.number);
}

function tcpTarget(model: MeshModel, inputs: VirtualHostInputs, services: readonly Service[], port: number): string | Json[] | undefined {
  const s = services[0];
  if (!s) return undefined;
  const vs = virtualServiceFor(inputs.vss, s.hostname);
  const tcp = vs?.spec.tcp?.find((r) => (r.match ?? [{}]).some((m) => (m.port === undefined || m.port === port) && (!m.gateways?.length || m.gateways.includes('mesh')) && (!m.sourceLabels || Object.entries(m.sourceLabels).every(([k, v]) => inputs.proxyLabels[k] === v)) && (m.sourceNamespace === undefined || m.sourceNamespace === inputs.proxyNs)));
  if (!vs || !tcp?.route?.length) return outboundClusterName(port, '', s.hostname);
  const name = (d: NonNullable<typeof tcp.route>[number]): string => {
    const host = resolveHost(d.destination?.host ?? '', vs.namespace);
    const target = model.services.find((x) => x.hostname === host);
    const p = d.destination?.port?.number ?? (target?.ports.length === 1 && target.ports[0] ? target.ports[0].number : port);
    return outboundClusterName(p, d.destination?.subset ?? '', host);
  };
  if (tcp.route.length === 1 && tcp.route[0]) return name(tcp.route[0]);
  return tcp.route.filter((d) => (d.weight ?? 0) > 0).map((d) => ({ name: name(d), weight: d.weight }));
}

/**
 * The Envoy resources for one sidecar proxy in captureMode NONE (pure): per egress port a listener on `bind:port`
 * with its RouteConfiguration (one virtual host per service), outbound clusters with DestinationRule policies and
 * subsets, their ClusterLoadAssignments, and Sidecar ingress listeners to the local app. RPC ports (BOLT, DUBBO,
 * THRIFT) get the rpc_proxy with routes from the RpcRoutes of their services. With INTERCEPTION_MODE REDIRECT (iptables)
 * the outbound listeners are 0.0.0.0:port without binding, behind virtualOutbound (15001, use_original_dst,
 * PassthroughCluster), and the ingress ports are filter chains of virtualInbound (15006, original_dst filter).
 */
export function translateForProxy(model: MeshModel, proxy: ProxyIdentity): ProxyResources {
  if (proxy.type === 'router') return translateForGateway(model, proxy);
  const out = emptyResources();
  const put = (type: TypeUrl, name: string, r: Json): void => putResource(out, type, name, r);
  // INTERCEPTION_MODE REDIRECT: outbound listeners do not bind (15001 hands connections to them), inbound ports are
  // filter chains of the 15006 listener.
  const intercepted = proxy.interceptionMode === 'REDIRECT';
  const putListener = (name: string, l: Json, direction: 'in' | 'out'): void => put(TYPE_URLS.listener, name, intercepted && direction === 'out' ? unbound(l) : l);
  const scope = sidecarScope(model, proxy);
  const inputs: VirtualHostInputs = { model, vss: meshVirtualServices(model, proxy.namespace), proxyNs: proxy.namespace, proxyLabels: proxy.labels, hashPolicy: hashPolicyFor(model, proxy.namespace, proxy.labels) };

  // Clusters and endpoints for every reachable service port and DestinationRule subset.
  for (const s of scope.services) {
    const dr = findDestinationRule(model, s.hostname, s.namespace, proxy.namespace, proxy.labels);
    for (const p of s.ports) {
      for (const subset of [undefined, ...(dr?.spec.subsets ?? [])]) putServiceCluster(out, model, s, p, subset, proxy);
    }
  }

  // Outbound listeners and route tables.
  const taken = new Set(scope.egress.filter((e) => e.port).map((e) => `${e.bind}:${e.port?.number}`));
  for (const e of scope.egress) {
    for (const port of egressPorts(e, taken)) {
      const key = `${e.bind}:${port.number}`;
      if (out.get(TYPE_URLS.listener)?.has(`${e.bind}_${port.number}`)) continue;
      const services = e.services.filter((s) => s.ports.some((p) => p.number === port.number));
      const proto = e.port ? port.protocol : (services[0]?.ports.find((p) => p.number === port.number)?.protocol ?? 'TCP');
      if (isHttpProtocol(proto)) {
        putListener(`${e.bind}_${port.number}`, outboundHttpListener(e.bind, port.number), 'out');
        put(TYPE_URLS.route, key, {
          name: key,
          virtual_hosts: services.map((s) => serviceVirtualHost(inputs, s, port.number)),
          validate_clusters: false,
        });
      } else if (isRpcProtocol(proto)) {
        const table = rpcRouteTable(model, proxy.namespace, services, port.number);
        putListener(`${e.bind}_${port.number}`, outboundRpcListener(e.bind, port.number, proto), 'out');
        put(TYPE_URLS.rpcRoute, key, rpcRouteConfiguration(key, table));
      } else {
        const target = tcpTarget(model, inputs, services, port.number);
        if (target) putListener(`${e.bind}_${port.number}`, outboundTcpListener(e.bind, port.number, target), 'out');
      }
    }
  }

  // Inbound: Sidecar ingress listeners to the application's defaultEndpoint.
  const inbound: Array<{ port: number; listener: Json }> = [];
  for (const i of scope.ingress) {
    const l = isRpcProtocol(i.port.protocol) ? inboundRpcListener(i.bind, i.port.number, i.port.protocol) : inboundListener(i.bind, i.port.number, i.port.protocol);
    if (intercepted) inbound.push({ port: i.port.number, listener: l });
    else putListener(`${i.bind}_${i.port.number}`, l, 'in');
    const name = inboundClusterName(i.port.number);
    put(TYPE_URLS.cluster, name, inboundCluster(name, i.endpointHost, i.endpointPort, i.port.protocol));
  }
  if (intercepted) {
    put(TYPE_URLS.listener, 'virtualOutbound', virtualOutboundListener());
    put(TYPE_URLS.cluster, PASSTHROUGH_CLUSTER, passthroughCluster());
    if (inbound.length > 0) put(TYPE_URLS.listener, 'virtualInbound', virtualInboundListener(inbound));
  }
  return out;
}
