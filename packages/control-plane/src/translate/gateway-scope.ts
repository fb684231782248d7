import type { GatewaySpec, VirtualServiceSpec } from '../sources/istio-resource.js';
import { hostMatches, labelsMatch, resolveGatewayName, resolveHost, visibleIn, type MeshModel, type Policy } from '../model/mesh-model.js';
import { isHttpProtocol } from './names.js';
import type { ProxyIdentity } from './proxy-identity.js';

export type Server = NonNullable<GatewaySpec['servers']>[number];
export type ServerTls = NonNullable<Server['tls']>;

/** How a server's connections are handled: HTTP, TLS terminated to HTTP (https) or to TCP (tls), TLS passed through by SNI, or TCP. */
export type ServerKind = 'http' | 'https' | 'tls' | 'passthrough' | 'tcp';

export interface GatewayServer {
  /** `ns/name` of its Gateway (what VirtualService `gateways` refer to). */
  readonly gatewayName: string;
  readonly gateway: Policy<GatewaySpec>;
  readonly server: Server;
  readonly kind: ServerKind;
  readonly port: number;
  readonly portName: string;
  /** `ns/host` pairs, `.` resolved to the Gateway's namespace and a bare host meaning any namespace. */
  readonly hosts: readonly { readonly namespace: string; readonly host: string }[];
}

/** The servers of all selected Gateways sharing one `bind:port` (one listener). */
export interface GatewayPort {
  readonly bind: string;
  readonly number: number;
  /** http: one plain-text chain; tls: SNI-matched chains (terminated or passed through); tcp: one TCP chain. */
  readonly kind: 'http' | 'tls' | 'tcp';
  readonly servers: GatewayServer[];
}

export const DEFAULT_GATEWAY_BIND = '0.0.0.0';

/**
 * The Gateways a router proxy implements: every Gateway whose selector matches the proxy's labels (an empty selector
 * matches every gateway proxy), in any namespace — Istio's default (PILOT_SCOPE_GATEWAY_TO_NAMESPACE off).
 */
export function selectGateways(model: MeshModel, proxy: ProxyIdentity): Policy<GatewaySpec>[] {
  return model.gateways.filter((g) => labelsMatch(g.spec.selector ?? {}, proxy.labels));
}

function serverKind(s: Server): ServerKind {
  const p = (s.port?.protocol ?? 'TCP').toUpperCase();
  if (isHttpProtocol(p)) return 'http';
  if (p === 'HTTPS' || p === 'TLS') {
    if (s.tls?.mode !== 'SIMPLE' && s.tls?.mode !== 'MUTUAL') return 'passthrough';
    return p === 'HTTPS' ? 'https' : 'tls';
  }
  return 'tcp';
}

function serverHosts(hosts: readonly string[], gatewayNs: string): GatewayServer['hosts'] {
  return hosts.map((h) => {
    const i = h.indexOf('/');
    if (i === -1) return { namespace: '*', host: h };
    const ns = h.slice(0, i);
    return { namespace: ns === '.' ? gatewayNs : ns, host: h.slice(i + 1) };
  });
}

/**
 * Merges servers by `bind:port` like Istio: plain-text HTTP servers share one route table; HTTPS/TLS servers become
 * SNI-matched filter chains; a server whose protocol class differs from the port's first server is dropped (Istio
 * reports it as a conflict), as is a TCP server on a port that already has one.
 */
export function mergeGatewayServers(gateways: readonly Policy<GatewaySpec>[]): GatewayPort[] {
  const ports = new Map<string, GatewayPort>();
  for (const g of gateways) {
    for (const server of g.spec.servers ?? []) {
      const kind = serverKind(server);
      const bind = server.bind ?? DEFAULT_GATEWAY_BIND;
      const number = server.port?.number ?? 0;
      const portKind = kind === 'https' || kind === 'passthrough' ? 'tls' : kind;
      const key = `${bind}:${number}`;
      let p = ports.get(key);
      if (!p) {
        p = { bind, number, kind: portKind, servers: [] };
        ports.set(key, p);
      } else if (p.kind !== portKind || portKind === 'tcp') {
        continue;
      }
      p.servers.push({
        gatewayName: `${g.namespace}/${g.name}`,
        gateway: g,
        server,
        kind,
        port: number,
        portName: server.port?.name ?? String(number),
        hosts: serverHosts(server.hosts ?? [], g.namespace),
      });
    }
  }
  return [...ports.values()];
}

/** The server hosts a VirtualService of `vsNamespace` may bind to (`*` or its own namespace). */
export function hostsForNamespace(s: GatewayServer, vsNamespace: string): string[] {
  return s.hosts.filter((h) => h.namespace === '*' || h.namespace === vsNamespace).map((h) => h.host);
}

/** Istio's host intersection: for each pair where one covers the other, the more specific one. */
export function intersectHosts(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      const hit = hostMatches(v, s) ? s : hostMatches(s, v) ? v : undefined;
      if (hit !== undefined && !out.includes(hit)) out.push(hit);
    }
  }
  return out;
}

/** The VirtualServices visible to the gateway proxy's namespace that list `gatewayName` in `gateways`. */
export function virtualServicesForGateway(model: MeshModel, proxyNs: string, gatewayName: string): Policy<VirtualServiceSpec>[] {
  return model.virtualServices.filter(
    (v) => visibleIn(v.exportTo, proxyNs, v.namespace) && (v.spec.gateways ?? []).some((g) => resolveGatewayName(g, v.namespace) === gatewayName),
  );
}

/** A VirtualService's hosts as full names (short names resolve in its namespace). */
export function virtualServiceHosts(vs: Policy<VirtualServiceSpec>): string[] {
  return (vs.spec.hosts ?? []).map((h) => resolveHost(h, vs.namespace));
}
