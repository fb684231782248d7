import type { VirtualServiceSpec } from '../sources/istio-resource.js';
import { DOMAIN_SUFFIX, hostMatches, MESH_GATEWAYS, resolveHost, visibleIn, type MeshModel, type Policy, type Service } from '../model/mesh-model.js';
import { defaultRoute, HttpRouteTranslator, type HttpRoute, type RouteContext } from './http-route.js';
import { outboundClusterName } from './names.js';

type Json = Record<string, unknown>;
type HttpMatch = NonNullable<HttpRoute['match']>[number];

/** Domains of a service's virtual host: its name, Kubernetes short forms (short name only in the same namespace), VIPs; each with `:port`. */
export function serviceDomains(s: Service, port: number, proxyNs: string): string[] {
  const names = [s.hostname];
  if (s.hostname.endsWith(`.${DOMAIN_SUFFIX}`)) {
    const [name = '', ns = ''] = s.hostname.split('.');
    names.push(`${name}.${ns}.svc`, `${name}.${ns}`);
    if (ns === proxyNs) names.push(name);
  }
  names.push(...s.addresses.filter((a) => !a.includes('/')));
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

/** The VirtualServices bound to sidecars (`mesh`) that this proxy sees, in model order. */
export function meshVirtualServices(model: MeshModel, proxyNs: string): Policy<VirtualServiceSpec>[] {
  return model.virtualServices.filter(
    (v) => (v.spec.hosts?.length ?? 0) > 0 && visibleIn(v.exportTo, proxyNs, v.namespace) && (!v.spec.gateways?.length || v.spec.gateways.includes('mesh')),
  );
}

export function virtualServiceFor(vss: readonly Policy<VirtualServiceSpec>[], host: string): Policy<VirtualServiceSpec> | undefined {
  return (
    vss.find((v) => (v.spec.hosts ?? []).some((h) => resolveHost(h, v.namespace) === host)) ??
    vss.find((v) => (v.spec.hosts ?? []).some((h) => hostMatches(resolveHost(h, v.namespace), host)))
  );
}

function mergeMatch(root: HttpMatch | undefined, child: HttpMatch | undefined): HttpMatch | undefined {
  if (!root) return child;
  if (!child) return root;
  return {
    ...root,
    ...child,
    headers: { ...root.headers, ...child.headers },
    withoutHeaders: { ...root.withoutHeaders, ...child.withoutHeaders },
    queryParams: { ...root.queryParams, ...child.queryParams },
  };
}

/** Replaces `delegate` routes by the delegate VirtualService's routes, each constrained by the root match. */
export function expandDelegates(model: MeshModel, vs: Policy<VirtualServiceSpec>): { route: HttpRoute; namespace: string }[] {
  const out: { route: HttpRoute; namespace: string }[] = [];
  for (const r of vs.spec.http ?? []) {
    if (!r.delegate) {
      out.push({ route: r, namespace: vs.namespace });
      continue;
    }
    const ns = r.delegate.namespace ?? vs.namespace;
    const d = model.virtualServices.find((v) => v.name === r.delegate?.name && v.namespace === ns && !(v.spec.hosts?.length));
    if (!d) continue; // Istio drops a route whose delegate is missing
    for (const child of d.spec.http ?? []) {
      if (child.delegate) continue; // one level only, as Istio
      const rootMatches = r.match?.length ? r.match : [undefined];
      const childMatches = child.match?.length ? child.match : [undefined];
      const match = rootMatches.flatMap((rm) => childMatches.map((cm) => mergeMatch(rm, cm))).filter((m): m is HttpMatch => m !== undefined);
      out.push({ route: { ...child, ...(match.length ? { match } : {}) }, namespace: d.namespace });
    }
  }
  return out;
}

export interface VirtualHostInputs {
  readonly model: MeshModel;
  readonly vss: readonly Policy<VirtualServiceSpec>[];
  readonly proxyNs: string;
  readonly proxyLabels: Readonly<Record<string, string>>;
  readonly hashPolicy: RouteContext['hashPolicy'];
}

/** One virtual host for a service on a port: routes from its VirtualService, else the default route. */
export function serviceVirtualHost(inputs: VirtualHostInputs, s: Service, port: number): Json {
  const vs = virtualServiceFor(inputs.vss, s.hostname);
  const routes: Json[] = [];
  if (vs) {
    expandDelegates(inputs.model, vs).forEach(({ route, namespace }, i) => {
      const t = new HttpRouteTranslator({
        namespace,
        port,
        proxyLabels: inputs.proxyLabels,
        proxyNamespace: inputs.proxyNs,
        defaultPort: (host) => {
          const target = inputs.model.services.find((x) => x.hostname === host);
          return target?.ports.length === 1 && target.ports[0] ? target.ports[0].number : port;
        },
        hashPolicy: inputs.hashPolicy,
        gateways: MESH_GATEWAYS,
      });
      routes.push(...t.routes(route, i));
    });
  }
  if (!vs) {
    // Like Istio, the default route carries the service's consistent-hash policy too.
    const route = defaultRoute(outboundClusterName(port, '', s.hostname));
    const hash = inputs.hashPolicy(s.hostname, '', port);
    if (hash) (route.route as Record<string, unknown>).hash_policy = hash;
    routes.push(route);
  }
  return { name: `${s.hostname}:${port}`, domains: serviceDomains(s, port, inputs.proxyNs), routes };
}
