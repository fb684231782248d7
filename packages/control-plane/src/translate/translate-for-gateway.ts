import { TYPE_URLS } from '../model/affected-by.js';
import { labelsMatch, resolveGatewayName, resolveHost, visibleIn, type MeshModel, type Policy } from '../model/mesh-model.js';
import type { VirtualServiceSpec } from '../sources/istio-resource.js';
import { findDestinationRule } from './destination-rules.js';
import { gatewayListener, gatewayHcm, httpsChain, tcpChain } from './gateway-listeners.js';
import { gatewayRouteConfig, gatewayRouteName } from './gateway-routes.js';
import {
  hostsForNamespace, intersectHosts, mergeGatewayServers, selectGateways, virtualServiceHosts, virtualServicesForGateway, type GatewayPort, type GatewayServer,
} from './gateway-scope.js';
import { outboundClusterName } from './names.js';
import type { ProxyIdentity } from './proxy-identity.js';
import { emptyResources, putResource, putServiceCluster, type ProxyResources } from './proxy-resources.js';

type Json = Record<string, unknown>;
type L4Match = { port?: number; gateways?: string[]; sourceLabels?: Record<string, string> };
type L4Destination = { destination?: { host?: string; subset?: string; port?: { number?: number } }; weight?: number };

/** Istio's l4 match for a gateway server: port, gateway name (resolved in the VirtualService namespace), source labels. */
function l4Matches(m: L4Match, s: GatewayServer, vsNs: string, proxy: ProxyIdentity): boolean {
  if (m.port !== undefined && m.port !== s.port) return false;
  if (m.gateways?.length && !m.gateways.some((g) => resolveGatewayName(g, vsNs) === s.gatewayName)) return false;
  return labelsMatch(m.sourceLabels, proxy.labels);
}

/** tcp_proxy target of an L4 route: one cluster, or weighted clusters (zero weights dropped). */
function l4Target(model: MeshModel, vs: Policy<VirtualServiceSpec>, route: readonly L4Destination[], serverPort: number): string | Json[] {
  const name = (d: L4Destination): string => {
    const host = resolveHost(d.destination?.host ?? '', vs.namespace);
    const target = model.services.find((x) => x.hostname === host);
    const p = d.destination?.port?.number ?? (target?.ports.length === 1 && target.ports[0] ? target.ports[0].number : serverPort);
    return outboundClusterName(p, d.destination?.subset ?? '', host);
  };
  if (route.length === 1 && route[0]) return name(route[0]);
  return route.filter((d) => (d.weight ?? 0) > 0).map((d) => ({ name: name(d), weight: d.weight }));
}

function statPrefix(target: string | Json[], port: GatewayPort): string {
  return typeof target === 'string' ? target : `outbound_${port.bind}_${port.number}`;
}

/** The tcp_proxy target of a TCP server: the first `tcp` route of a bound VirtualService (hosts intersecting the server's) that matches. */
function tcpServerTarget(model: MeshModel, proxy: ProxyIdentity, s: GatewayServer): string | Json[] | undefined {
  for (const vs of virtualServicesForGateway(model, proxy.namespace, s.gatewayName)) {
    if (intersectHosts(hostsForNamespace(s, vs.namespace), virtualServiceHosts(vs)).length === 0) continue;
    for (const r of vs.spec.tcp ?? []) {
      if ((r.match?.length ? r.match : [{}]).some((m) => l4Matches(m, s, vs.namespace, proxy))) return l4Target(model, vs, r.route ?? [], s.port);
    }
  }
  return undefined;
}

/** PASSTHROUGH server: one SNI chain per matching `tls` route match (SNI names the server also has; first claim wins). */
function passthroughChains(model: MeshModel, proxy: ProxyIdentity, port: GatewayPort, s: GatewayServer, claimed: Set<string>): Json[] {
  const chains: Json[] = [];
  for (const vs of virtualServicesForGateway(model, proxy.namespace, s.gatewayName)) {
    const serverHosts = hostsForNamespace(s, vs.namespace);
    if (intersectHosts(serverHosts, virtualServiceHosts(vs)).length === 0) continue;
    for (const r of vs.spec.tls ?? []) {
      for (const m of r.match ?? []) {
        if (!l4Matches(m, s, vs.namespace, proxy)) continue;
        const sni = intersectHosts(serverHosts, m.sniHosts ?? []).filter((h) => !claimed.has(h));
        if (sni.length === 0) continue;
        for (const h of sni) claimed.add(h);
        const target = l4Target(model, vs, r.route ?? [], s.port);
        chains.push(tcpChain(sni, target, statPrefix(target, port)));
      }
    }
  }
  return chains;
}

function collectClusterNames(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') {
    if (v.startsWith('outbound|')) into.add(v);
  } else if (Array.isArray(v)) {
    for (const x of v) collectClusterNames(x, into);
  } else if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) collectClusterNames(x, into);
  }
}

/** Clusters (and EDS) for every `outbound|port|subset|host` the gateway's routes use, when the service and subset exist. */
function putReferencedClusters(out: ProxyResources, model: MeshModel, proxy: ProxyIdentity, names: ReadonlySet<string>): void {
  for (const name of [...names].sort()) {
    const [, portText = '', subsetName = '', host = ''] = name.split('|');
    const s = model.services.find((x) => x.hostname === host && visibleIn(x.exportTo, proxy.namespace, x.namespace));
    const p = s?.ports.find((x) => x.number === Number(portText));
    if (!s || !p) continue;
    const subset = subsetName ? findDestinationRule(model, host, s.namespace, proxy.namespace, proxy.labels)?.spec.subsets?.find((x) => x.name === subsetName) : undefined;
    if (subsetName && !subset) continue;
    putServiceCluster(out, model, s, p, subset, proxy);
  }
}

/**
 * The Envoy resources of an ingress gateway proxy (pure): the Gateways selecting it, merged per `bind:port` into
 * listeners — plain HTTP on `http.<port>` route tables; HTTPS servers as SNI chains terminating TLS, each on its own
 * route table; TLS servers with certificates as SNI chains terminating TLS to `tcp` routes; PASSTHROUGH servers as SNI
 * chains to tcp_proxy from VirtualService `tls` routes; TCP servers from `tcp` routes — with the clusters and endpoints
 * those routes use. Only VirtualServices naming the Gateway apply.
 */
export function translateForGateway(model: MeshModel, proxy: ProxyIdentity): ProxyResources {
  const out = emptyResources();
  for (const port of mergeGatewayServers(selectGateways(model, proxy))) {
    const chains: Json[] = [];
    if (port.kind === 'http') {
      const name = gatewayRouteName(port, undefined);
      putResource(out, TYPE_URLS.route, name, gatewayRouteConfig(model, proxy, name, port.servers));
      chains.push({ filters: [gatewayHcm(port.bind, port.number, name)] });
    } else if (port.kind === 'tcp') {
      const s = port.servers[0];
      const target = s ? tcpServerTarget(model, proxy, s) : undefined;
      if (target) chains.push(tcpChain(undefined, target, statPrefix(target, port)));
    } else {
      const claimed = new Set<string>();
      for (const s of port.servers) {
        if (s.kind === 'passthrough') {
          chains.push(...passthroughChains(model, proxy, port, s, claimed));
          continue;
        }
        // Envoy refuses two chains with the same SNI match: a server repeating a claimed host is dropped (as Istio does).
        const sni = s.hosts.some((h) => h.host === '*') ? ['*'] : s.hosts.map((h) => h.host);
        if (sni.some((h) => claimed.has(h))) continue;
        for (const h of sni) claimed.add(h);
        if (s.kind === 'tls') {
          // TLS terminated to opaque TCP: the server's tcp routes behind its certificates.
          const target = tcpServerTarget(model, proxy, s);
          if (target) chains.push(tcpChain(sni, target, statPrefix(target, port), s.server.tls));
          continue;
        }
        const name = gatewayRouteName(port, s);
        putResource(out, TYPE_URLS.route, name, gatewayRouteConfig(model, proxy, name, [s]));
        chains.push(httpsChain(port, s, name));
      }
    }
    if (chains.length > 0) putResource(out, TYPE_URLS.listener, `${port.bind}_${port.number}`, gatewayListener(port, chains));
  }
  const names = new Set<string>();
  for (const type of [TYPE_URLS.route, TYPE_URLS.listener]) for (const r of out.get(type)?.values() ?? []) collectClusterNames(r, names);
  putReferencedClusters(out, model, proxy, names);
  return out;
}
