import type { SidecarSpec } from '../sources/istio-resource.js';
import { hostMatches, labelsMatch, portProtocol, ROOT_NAMESPACE, visibleIn, type MeshModel, type Policy, type Service, type ServicePort } from '../model/mesh-model.js';
import type { ProxyIdentity } from './proxy-identity.js';

/** In captureMode NONE there is no iptables: outbound listeners are bound on loopback unless `bind` says otherwise. */
export const DEFAULT_EGRESS_BIND = '127.0.0.1';
/** With iptables (INTERCEPTION_MODE REDIRECT) outbound listeners are 0.0.0.0:port, found by the 15001 hand-off. */
export const INTERCEPTED_EGRESS_BIND = '0.0.0.0';
export const DEFAULT_INGRESS_BIND = '0.0.0.0';

export interface EgressScope {
  readonly bind: string;
  /** The listener port, or undefined for the catch-all egress listener (one listener per service port). */
  readonly port: ServicePort | undefined;
  readonly services: readonly Service[];
}

export interface IngressScope {
  readonly bind: string;
  readonly port: ServicePort;
  /** `host:port` of the local application. */
  readonly endpointHost: string;
  readonly endpointPort: number;
}

export interface SidecarScope {
  readonly sidecar: Policy<SidecarSpec> | undefined;
  readonly egress: readonly EgressScope[];
  readonly ingress: readonly IngressScope[];
  /** Every service any egress listener can reach (for clusters and endpoints). */
  readonly services: readonly Service[];
}

/** Like Istio: a Sidecar in the proxy's namespace whose selector matches, else one without selector there, else the root namespace's. */
export function selectSidecar(model: MeshModel, proxy: ProxyIdentity): Policy<SidecarSpec> | undefined {
  const inNs = model.sidecars.filter((s) => s.namespace === proxy.namespace);
  return (
    inNs.find((s) => s.spec.workloadSelector && labelsMatch(s.spec.workloadSelector.labels, proxy.labels)) ??
    inNs.find((s) => !s.spec.workloadSelector) ??
    model.sidecars.find((s) => s.namespace === ROOT_NAMESPACE && !s.spec.workloadSelector)
  );
}

/** `ns/host` of a Sidecar egress (namespace `.` = the Sidecar's own, `*` = any, `~` = none). */
function egressMatches(hosts: readonly string[], sidecarNs: string, s: Service): boolean {
  return hosts.some((h) => {
    const [ns = '*', host = '*'] = h.split('/');
    if (ns === '~') return false;
    const nsOk = ns === '*' || (ns === '.' ? sidecarNs : ns) === s.namespace;
    return nsOk && hostMatches(host, s.hostname);
  });
}

function portOf(p: { number?: number; protocol?: string; name?: string; targetPort?: number }): ServicePort {
  return { name: p.name ?? String(p.number), number: p.number ?? 0, protocol: portProtocol(p.protocol, p.name), targetPort: p.targetPort };
}

function parseEndpoint(ep: string): { host: string; port: number } {
  const i = ep.lastIndexOf(':');
  return { host: ep.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(ep.slice(i + 1)) };
}

export function sidecarScope(model: MeshModel, proxy: ProxyIdentity): SidecarScope {
  const sidecar = selectSidecar(model, proxy);
  const exported = model.services.filter((s) => visibleIn(s.exportTo, proxy.namespace, s.namespace));
  const egressSpecs = sidecar?.spec.egress?.length ? sidecar.spec.egress : [{ hosts: ['*/*'] }];
  const egress: EgressScope[] = egressSpecs.map((e) => {
    const services = exported.filter((s) => egressMatches(e.hosts ?? [], sidecar?.namespace ?? proxy.namespace, s));
    const port = e.port ? portOf(e.port) : undefined;
    return { bind: e.bind ?? (proxy.interceptionMode === 'REDIRECT' ? INTERCEPTED_EGRESS_BIND : DEFAULT_EGRESS_BIND), port, services: port ? services.filter((s) => s.ports.some((p) => p.number === port.number)) : services };
  });
  const ingress: IngressScope[] = (sidecar?.spec.ingress ?? []).map((i) => {
    const ep = parseEndpoint(i.defaultEndpoint ?? '');
    return { bind: i.bind ?? DEFAULT_INGRESS_BIND, port: portOf(i.port ?? {}), endpointHost: ep.host === '0.0.0.0' ? '127.0.0.1' : ep.host, endpointPort: ep.port };
  });
  const seen = new Set<Service>();
  for (const e of egress) for (const s of e.services) seen.add(s);
  return { sidecar, egress, ingress, services: exported.filter((s) => seen.has(s)) };
}
