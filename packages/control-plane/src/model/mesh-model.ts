import type {
  AnyIstioResource, DestinationRuleSpec, GatewaySpec, IstioResource, RpcRouteSpec, SidecarSpec, VirtualServiceSpec,
} from '../sources/istio-resource.js';

export const DOMAIN_SUFFIX = 'svc.cluster.local';
/** Resources here apply to every namespace (Istio's root namespace). */
export const ROOT_NAMESPACE = 'istio-system';

export interface ServicePort {
  readonly name: string;
  readonly number: number;
  /** Upper-cased Istio protocol (HTTP, HTTP2, GRPC, TCP, ...); TCP when unset. */
  readonly protocol: string;
  readonly targetPort: number | undefined;
}

export interface ServiceEndpoint {
  readonly address: string;
  /** Port per service port name (the WorkloadEntry/endpoint `ports` map); missing names use the target port. */
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: string;
  readonly weight: number;
  readonly network: string;
  readonly serviceAccount: string;
}

export interface Service {
  readonly hostname: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  readonly addresses: readonly string[];
  readonly resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  /** Namespaces that see it; `*` = all. */
  readonly exportTo: ReadonlySet<string>;
  readonly endpoints: readonly ServiceEndpoint[];
  /** `ServiceEntry/ns/name` it comes from. */
  readonly source: string;
  /**
   * RPC services are named by interface by default: the ServiceEntry host is the interface / service name a call
   * carries (Dubbo path, Bolt service, Thrift multiplexed service). Dubbo 3 application-level discovery registers
   * applications, not interfaces: a ServiceEntry labelled `rpc.weft.io/application: <app>` stands for that
   * application, and its calls are recognised by their `application` attribute instead.
   */
  readonly rpcApplication?: string;
  /**
   * The ServiceEntry host as written, when it is a short name (`Calculator`) that `hostname` expands with the
   * namespace: RPC calls carry the name as written (a Thrift multiplexed service, an interface without a package).
   */
  readonly declaredHost?: string;
}

/** The ServiceEntry label marking an application-level RPC service (Dubbo 3). */
export const RPC_APPLICATION_LABEL = 'rpc.weft.io/application';

const RPC_PORT_PREFIXES: Readonly<Record<string, string>> = { bolt: 'BOLT', dubbo: 'DUBBO', thrift: 'THRIFT' };

/**
 * A port's protocol: the given one upper-cased (Istio is case-insensitive), else from an Istio-style name prefix
 * (`bolt-x`, `dubbo`, `thrift-y`) for the RPC protocols, else TCP.
 */
export function portProtocol(protocol: string | undefined, name: string | undefined): string {
  if (protocol) return protocol.toUpperCase();
  const prefix = (name ?? '').toLowerCase().split('-')[0] ?? '';
  return RPC_PORT_PREFIXES[prefix] ?? 'TCP';
}

export function isRpcProtocol(protocol: string): boolean {
  return protocol === 'BOLT' || protocol === 'DUBBO' || protocol === 'THRIFT';
}

/** A policy resource with its exportTo resolved. */
export interface Policy<S> {
  readonly name: string;
  readonly namespace: string;
  readonly spec: S;
  readonly exportTo: ReadonlySet<string>;
}

export interface MeshModel {
  /** Sorted by hostname, then namespace. */
  readonly services: readonly Service[];
  readonly virtualServices: readonly Policy<VirtualServiceSpec>[];
  readonly destinationRules: readonly Policy<DestinationRuleSpec>[];
  readonly sidecars: readonly Policy<SidecarSpec>[];
  readonly gateways: readonly Policy<GatewaySpec>[];
  readonly rpcRoutes: readonly Policy<RpcRouteSpec>[];
}

/** Istio's short names: a host without dots is `<host>.<namespace>.svc.cluster.local`. */
export function resolveHost(host: string, namespace: string): string {
  return host.includes('.') || host === '*' ? host : `${host}.${namespace}.${DOMAIN_SUFFIX}`;
}

export function resolveExportTo(list: readonly string[] | undefined, own: string): ReadonlySet<string> {
  if (!list || list.length === 0) return new Set(['*']);
  return new Set(list.flatMap((e) => (e === '.' ? [own] : e === '~' ? [] : [e])));
}

export function visibleIn(exportTo: ReadonlySet<string>, namespace: string, own: string): boolean {
  return exportTo.has('*') || exportTo.has(namespace) || (namespace === own && exportTo.has(own));
}

export function labelsMatch(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

export const MESH_GATEWAY = 'mesh';
export const MESH_GATEWAYS: ReadonlySet<string> = new Set([MESH_GATEWAY]);

/**
 * A VirtualService's gateway reference as `ns/name`: short names are in the VirtualService's namespace, the old
 * `name.ns.svc.cluster.local` form is accepted like Istio does, `mesh` stays `mesh`.
 */
export function resolveGatewayName(ref: string, vsNamespace: string): string {
  if (ref === MESH_GATEWAY || ref.includes('/')) return ref;
  if (!ref.includes('.')) return `${vsNamespace}/${ref}`;
  const [name = '', ns = ''] = ref.split('.');
  return `${ns}/${name}`;
}

/** `*.example.com` matches `a.example.com`; exact names match themselves; `*` matches everything. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1));
}

function toEndpoint(e: { address?: string; ports?: Record<string, number>; labels?: Record<string, string>; locality?: string; weight?: number; network?: string; serviceAccount?: string }, extraLabels: Record<string, string> = {}): ServiceEndpoint | undefined {
  if (!e.address) return undefined;
  return {
    address: e.address,
    ports: e.ports ?? {},
    labels: { ...extraLabels, ...(e.labels ?? {}) },
    locality: e.locality ?? '',
    weight: e.weight && e.weight > 0 ? e.weight : 1,
    network: e.network ?? '',
    serviceAccount: e.serviceAccount ?? '',
  };
}

function policy<S>(r: IstioResource & { spec: S }, exportTo?: readonly string[]): Policy<S> {
  return { name: r.name, namespace: r.namespace, spec: r.spec, exportTo: resolveExportTo(exportTo, r.namespace) };
}

/** Builds the model from the applied resources: one service per ServiceEntry host, WorkloadEntries selected in. */
export function buildModel(resources: Iterable<AnyIstioResource>): MeshModel {
  const all = [...resources].sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`));
  const workloads = all.filter((r): r is IstioResource<'WorkloadEntry'> => r.kind === 'WorkloadEntry');
  const services: Service[] = [];
  const model = { virtualServices: [] as Policy<VirtualServiceSpec>[], destinationRules: [] as Policy<DestinationRuleSpec>[], sidecars: [] as Policy<SidecarSpec>[], gateways: [] as Policy<GatewaySpec>[], rpcRoutes: [] as Policy<RpcRouteSpec>[] };
  for (const r of all) {
    switch (r.kind) {
      case 'ServiceEntry': {
        const s = r.spec;
        let endpoints: ServiceEndpoint[] = (s.endpoints ?? []).map((e) => toEndpoint(e)).filter((e): e is ServiceEndpoint => e !== undefined);
        if (s.workloadSelector) {
          endpoints = workloads
            .filter((w) => w.namespace === r.namespace && labelsMatch(s.workloadSelector?.labels ?? {}, { ...w.labels, ...(w.spec.labels ?? {}) }))
            .map((w) => toEndpoint(w.spec, w.labels))
            .filter((e): e is ServiceEndpoint => e !== undefined);
        }
        const ports: ServicePort[] = (s.ports ?? []).map((p) => ({ name: p.name ?? String(p.number), number: p.number ?? 0, protocol: portProtocol(p.protocol, p.name), targetPort: p.targetPort }));
        const app = r.labels[RPC_APPLICATION_LABEL];
        for (const host of s.hosts ?? []) {
          services.push({
            hostname: resolveHost(host, r.namespace),
            namespace: r.namespace,
            ports,
            addresses: s.addresses ?? [],
            resolution: s.resolution ?? 'NONE',
            location: s.location ?? 'MESH_EXTERNAL',
            exportTo: resolveExportTo(s.exportTo, r.namespace),
            endpoints,
            source: `ServiceEntry/${r.namespace}/${r.name}`,
            ...(app ? { rpcApplication: app } : {}),
            ...(resolveHost(host, r.namespace) !== host ? { declaredHost: host } : {}),
          });
        }
        break;
      }
      case 'VirtualService': model.virtualServices.push(policy(r, r.spec.exportTo)); break;
      case 'DestinationRule': model.destinationRules.push(policy(r, r.spec.exportTo)); break;
      case 'Sidecar': model.sidecars.push(policy(r)); break;
      case 'Gateway': model.gateways.push(policy(r)); break;
      case 'RpcRoute': model.rpcRoutes.push(policy(r, r.spec.exportTo)); break;
      case 'WorkloadEntry': break;
    }
  }
  services.sort((a, b) => a.hostname.localeCompare(b.hostname) || a.namespace.localeCompare(b.namespace));
  return { services, ...model };
}

/** The endpoint port for a service port: the endpoint's named port, else targetPort, else the service port. */
export function endpointPort(e: ServiceEndpoint, p: ServicePort): number {
  return e.ports[p.name] ?? p.targetPort ?? p.number;
}
