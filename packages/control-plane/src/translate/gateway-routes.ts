import type { MeshModel } from '../model/mesh-model.js';
import { HttpRouteTranslator } from './http-route.js';
import type { ProxyIdentity } from './proxy-identity.js';
import { hashPolicyFor } from './proxy-resources.js';
import { DEFAULT_GATEWAY_BIND, hostsForNamespace, intersectHosts, virtualServiceHosts, virtualServicesForGateway, type GatewayPort, type GatewayServer } from './gateway-scope.js';
import { expandDelegates } from './virtual-hosts.js';

type Json = Record<string, unknown>;

/** Istio's RDS names: `http.<port>` for plain-text servers, `https.<port>.<portName>.<gw>.<ns>` per terminated server (`.<bind>` when bound). */
export function gatewayRouteName(port: GatewayPort, s: GatewayServer | undefined): string {
  const bind = port.bind !== DEFAULT_GATEWAY_BIND ? `.${port.bind}` : '';
  if (!s) return `http.${port.number}${bind}`;
  return `https.${s.port}.${s.portName}.${s.gateway.name}.${s.gateway.namespace}${bind}`;
}

/** Domains of a gateway virtual host: the host and `host:*` (any port in Host), or just `*`. */
function domains(host: string): string[] {
  return host === '*' ? ['*'] : [host, `${host}:*`];
}

/**
 * The route table of gateway servers: for every VirtualService bound to a server's Gateway, one virtual host per host
 * in both the server's and the VirtualService's hosts (routes of several VirtualServices for one host append);
 * virtual hosts sorted by name; with none, Istio's blackhole virtual host (no routes: 404 NR).
 */
export function gatewayRouteConfig(model: MeshModel, proxy: ProxyIdentity, name: string, servers: readonly GatewayServer[]): Json {
  const vhosts = new Map<string, Json & { routes: Json[] }>();
  const hashPolicy = hashPolicyFor(model, proxy.namespace, proxy.labels);
  for (const s of servers) {
    const gateways = new Set([s.gatewayName]);
    for (const vs of virtualServicesForGateway(model, proxy.namespace, s.gatewayName)) {
      if (!vs.spec.http?.length) continue;
      const hosts = intersectHosts(hostsForNamespace(s, vs.namespace), virtualServiceHosts(vs));
      if (hosts.length === 0) continue;
      const routes: Json[] = [];
      expandDelegates(model, vs).forEach(({ route, namespace }, i) => {
        const t = new HttpRouteTranslator({
          namespace,
          port: s.port,
          proxyLabels: proxy.labels,
          proxyNamespace: proxy.namespace,
          defaultPort: (host) => {
            const target = model.services.find((x) => x.hostname === host);
            return target?.ports.length === 1 && target.ports[0] ? target.ports[0].number : s.port;
          },
          hashPolicy,
          gateways,
        });
        routes.push(...t.routes(route, i));
      });
      if (routes.length === 0) continue;
      for (const host of hosts) {
        const vhName = `${host}:${s.port}`;
        let vh = vhosts.get(vhName);
        if (!vh) {
          vh = { name: vhName, domains: domains(host), routes: [], include_request_attempt_count: true };
          vhosts.set(vhName, vh);
        }
        vh.routes.push(...routes);
        if (s.server.tls?.httpsRedirect) vh.require_tls = 'ALL';
      }
    }
  }
  const virtualHosts = [...vhosts.values()].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (virtualHosts.length === 0) virtualHosts.push({ name: `blackhole:${servers[0]?.port ?? 0}`, domains: ['*'], routes: [] });
  return { name, virtual_hosts: virtualHosts, validate_clusters: false };
}
