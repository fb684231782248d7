import { isDeepStrictEqual } from 'node:util';
import type { ConfigIssue } from '../sources/issue.js';
import type { AnyIstioResource, GatewaySpec, IstioResource } from '../sources/istio-resource.js';
import { durationMs } from '../sources/duration.js';
import type { RpcMatch, RpcRule } from '../sources/rpc-route-spec.js';
import { buildModel, isRpcProtocol, MESH_GATEWAY, resolveGatewayName, hostMatches, resolveExportTo, resolveHost, visibleIn, type MeshModel } from './mesh-model.js';

interface Destination {
  readonly host?: string;
  readonly subset?: string;
}

type HttpRoute = NonNullable<IstioResource<'VirtualService'>['spec']['http']>[number];
type HttpMatch = NonNullable<HttpRoute['match']>[number];

/** A destination host is known when a ServiceEntry host visible in the VirtualService's namespace covers it. */
function hostKnown(model: MeshModel, host: string, namespace: string): boolean {
  return model.services.some((s) => hostMatches(s.hostname, host) && visibleIn(s.exportTo, namespace, s.namespace));
}

/** Subsets the DestinationRules visible in `namespace` define for `host` (undefined: no rule applies). */
function subsetsFor(resources: readonly AnyIstioResource[], host: string, namespace: string): Set<string> | undefined {
  let found: Set<string> | undefined;
  for (const r of resources) {
    if (r.kind !== 'DestinationRule' || !r.spec.host) continue;
    if (!visibleIn(resolveExportTo(r.spec.exportTo, r.namespace), namespace, r.namespace)) continue;
    if (!hostMatches(resolveHost(r.spec.host, r.namespace), host)) continue;
    found ??= new Set();
    for (const s of r.spec.subsets ?? []) if (s.name) found.add(s.name);
  }
  return found;
}

/** A match entry that every request satisfies: no conditions, or only `uri: {prefix: /}`. */
function matchesEverything(m: HttpMatch): boolean {
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined || k === 'name' || k === 'ignoreUriCase') continue;
    if (k === 'uri' && isDeepStrictEqual(v, { prefix: '/' })) continue;
    return false;
  }
  return true;
}

function isCatchAll(route: HttpRoute): boolean {
  return !route.match || route.match.length === 0 || route.match.some(matchesEverything);
}

/** Match entries without their `name` (which does not affect matching). */
function matchKeys(route: HttpRoute): unknown[] {
  return (route.match ?? []).map(({ name: _name, ...rest }) => rest);
}

function checkDestination(
  model: MeshModel, resources: readonly AnyIstioResource[], vs: AnyIstioResource, d: Destination | undefined, path: string, out: ConfigIssue[],
): void {
  if (!d?.host) return;
  const host = resolveHost(d.host, vs.namespace);
  const base = { file: vs.origin, resource: `${vs.kind}/${vs.namespace}/${vs.name}`, severity: 'error' as const };
  if (!hostKnown(model, host, vs.namespace)) {
    out.push({ ...base, path: `${path}.host`, reason: `host '${host}' is not defined by any ServiceEntry visible in namespace '${vs.namespace}'` });
    return;
  }
  if (d.subset === undefined) return;
  const subsets = subsetsFor(resources, host, vs.namespace);
  if (!subsets) out.push({ ...base, path: `${path}.subset`, reason: `subset '${d.subset}' of '${host}': no DestinationRule defines subsets for that host` });
  else if (!subsets.has(d.subset)) out.push({ ...base, path: `${path}.subset`, reason: `subset '${d.subset}' is not defined by the DestinationRule for '${host}' (defined: ${[...subsets].sort().join(', ') || 'none'})` });
}

function checkVirtualService(model: MeshModel, resources: readonly AnyIstioResource[], vs: IstioResource<'VirtualService'>, out: ConfigIssue[]): void {
  const http = vs.spec.http ?? [];
  let catchAll: number | undefined;
  http.forEach((route, i) => {
    const path = `spec.http[${i}]`;
    (route.route ?? []).forEach((rd, j) => checkDestination(model, resources, vs, rd.destination, `${path}.route[${j}].destination`, out));
    checkDestination(model, resources, vs, route.mirror, `${path}.mirror`, out);
    const resource = `VirtualService/${vs.namespace}/${vs.name}`;
    if (catchAll !== undefined) {
      out.push({ file: vs.origin, resource, path, reason: `unreachable: spec.http[${catchAll}] before it matches every request`, severity: 'warning' });
    } else {
      const same = http.slice(0, i).findIndex((earlier) => earlier.match && earlier.match.length > 0 && isDeepStrictEqual(matchKeys(earlier), matchKeys(route)));
      if (same >= 0) out.push({ file: vs.origin, resource, path, reason: `unreachable: spec.http[${same}] has the same match conditions`, severity: 'warning' });
    }
    if (catchAll === undefined && isCatchAll(route)) catchAll = i;
  });
  for (const kind of ['tcp', 'tls'] as const) {
    (vs.spec[kind] ?? []).forEach((route, i) =>
      (route.route ?? []).forEach((rd, j) => checkDestination(model, resources, vs, rd.destination, `spec.${kind}[${i}].route[${j}].destination`, out)),
    );
  }
  checkGatewayRefs(model, vs, out);
}

/** Server hosts of a Gateway that VirtualServices of `vsNs` may bind (`ns/host`: `*`, `.` = the Gateway's, or `vsNs`). */
function gatewayHostsFor(spec: GatewaySpec, gatewayNs: string, vsNs: string): string[] {
  return (spec.servers ?? []).flatMap((srv) => srv.hosts ?? []).flatMap((h) => {
    const i = h.indexOf('/');
    if (i === -1) return [h];
    const ns = h.slice(0, i);
    return ns === '*' || (ns === '.' ? gatewayNs : ns) === vsNs ? [h.slice(i + 1)] : [];
  });
}

/** `gateways` (VirtualService-level and per match) must name existing Gateways (Istio's IST0101) or `mesh`. */
function checkGatewayRefs(model: MeshModel, vs: IstioResource<'VirtualService'>, out: ConfigIssue[]): void {
  const known = new Map(model.gateways.map((g) => [`${g.namespace}/${g.name}`, g]));
  const resource = `VirtualService/${vs.namespace}/${vs.name}`;
  const check = (refs: readonly string[] | undefined, path: string): void => {
    (refs ?? []).forEach((ref, i) => {
      const name = resolveGatewayName(ref, vs.namespace);
      if (name === MESH_GATEWAY || known.has(name)) return;
      out.push({ file: vs.origin, resource, path: `${path}[${i}]`, reason: `gateway '${name}' is not defined by any Gateway`, severity: 'error' });
    });
  };
  check(vs.spec.gateways, 'spec.gateways');
  // Like Istio's IST0132: a host the bound Gateway does not serve (for this namespace) gets no route there.
  (vs.spec.gateways ?? []).forEach((ref, i) => {
    const g = known.get(resolveGatewayName(ref, vs.namespace));
    if (!g) return;
    const served = gatewayHostsFor(g.spec, g.namespace, vs.namespace);
    for (const h of vs.spec.hosts ?? []) {
      const host = resolveHost(h, vs.namespace);
      if (served.some((s) => hostMatches(s, host) || hostMatches(host, s))) continue;
      out.push({ file: vs.origin, resource, path: `spec.gateways[${i}]`, reason: `host '${host}' is not among the hosts of Gateway '${g.namespace}/${g.name}' for namespace '${vs.namespace}'`, severity: 'warning' });
    }
  });
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    (vs.spec[kind] ?? []).forEach((route, i) => (route.match ?? []).forEach((m, j) => check(m.gateways, `spec.${kind}[${i}].match[${j}].gateways`)));
  }
}

/** An RpcRoute match entry every call to its hosts satisfies (no conditions). */
function rpcMatchesEverything(m: RpcMatch): boolean {
  return Object.values(m).every((v) => v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0));
}

/** The rpc_proxy's route timeout when a rule sets none (Envoy's default). */
const DEFAULT_RPC_TIMEOUT_MS = 15_000;

/** Retries that cannot happen: not marked idempotent, or a per-try timeout that never fires or is never retried. */
function checkRpcRetries(rule: RpcRule, path: string, issue: (path: string, reason: string) => void): void {
  const r = rule.retries;
  if (!r || r.attempts === 0 || (r.attempts === undefined && r.retryOn === undefined && r.perTryTimeout === undefined)) return;
  if (!r.idempotent) issue(`${path}.retries`, "calls are retried only when their methods are idempotent: set 'idempotent: true' (these retries never happen)");
  if (r.perTryTimeout === undefined) return;
  const perTry = durationMs(r.perTryTimeout);
  const total = rule.timeout === undefined ? DEFAULT_RPC_TIMEOUT_MS : durationMs(rule.timeout);
  if (total > 0 && perTry >= total) {
    issue(`${path}.retries.perTryTimeout`, `${r.perTryTimeout} is not shorter than the rule's timeout (${rule.timeout ?? '15s by default'}): the call times out before an attempt does`);
  }
  if (r.retryOn !== undefined && !r.retryOn.split(',').some((t) => t.trim() === 'timeout')) {
    issue(`${path}.retries.perTryTimeout`, "an attempt that times out is retried only when retryOn has 'timeout'");
  }
}

/**
 * RpcRoute: hosts and destinations must be known services / subsets; rules after a catch-all never match; retries
 * that can never happen (warnings).
 */
function checkRpcRoute(model: MeshModel, resources: readonly AnyIstioResource[], rr: IstioResource<'RpcRoute'>, out: ConfigIssue[]): void {
  const resource = `RpcRoute/${rr.namespace}/${rr.name}`;
  (rr.spec.hosts ?? []).forEach((h, i) => {
    const host = resolveHost(h, rr.namespace);
    if (!hostKnown(model, host, rr.namespace)) {
      out.push({ file: rr.origin, resource, path: `spec.hosts[${i}]`, reason: `host '${host}' is not defined by any ServiceEntry visible in namespace '${rr.namespace}'`, severity: 'error' });
    }
  });
  let catchAll: number | undefined;
  (rr.spec.rules ?? []).forEach((rule, i) => {
    const path = `spec.rules[${i}]`;
    (rule.route ?? []).forEach((rd, j) => checkDestination(model, resources, rr, rd.destination, `${path}.route[${j}].destination`, out));
    checkDestination(model, resources, rr, rule.mirror, `${path}.mirror`, out);
    checkRpcRetries(rule, path, (p, reason) => out.push({ file: rr.origin, resource, path: p, reason, severity: 'warning' }));
    if (catchAll !== undefined) {
      out.push({ file: rr.origin, resource, path, reason: `unreachable: spec.rules[${catchAll}] before it matches every call`, severity: 'warning' });
    } else if (!rule.match || rule.match.length === 0 || rule.match.some(rpcMatchesEverything)) {
      catchAll = i;
    }
  });
}

/**
 * Colouring is per listener (one RPC port): RpcRoutes whose services share an RPC port and set different colourings
 * cannot all apply (the first by namespace/name does). Warned on the later ones.
 */
function checkRpcColouring(model: MeshModel, routes: readonly IstioResource<'RpcRoute'>[], out: ConfigIssue[]): void {
  const byPort = new Map<number, IstioResource<'RpcRoute'>>();
  for (const rr of routes) {
    const c = rr.spec.colouring;
    if (!c) continue;
    const hosts = (rr.spec.hosts ?? []).map((h) => resolveHost(h, rr.namespace));
    const ports = new Set(model.services.filter((s) => hosts.some((h) => hostMatches(h, s.hostname))).flatMap((s) => s.ports.filter((p) => isRpcProtocol(p.protocol)).map((p) => p.number)));
    for (const port of [...ports].sort((a, b) => a - b)) {
      const first = byPort.get(port);
      const fc = first?.spec.colouring;
      if (!first || !fc) {
        byPort.set(port, rr);
      } else if (fc.header !== c.header || (fc.label ?? 'colour') !== (c.label ?? 'colour')) {
        out.push({
          file: rr.origin,
          resource: `RpcRoute/${rr.namespace}/${rr.name}`,
          path: 'spec.colouring',
          reason: `port ${port} is coloured by RpcRoute/${first.namespace}/${first.name} (header '${fc.header}'): a port has one colouring, this one does not apply there`,
          severity: 'warning',
        });
      }
    }
  }
}

/**
 * Cross-resource checks on a set of valid Istio resources (what `weft analyze` adds to the schema checks):
 * VirtualService destinations naming hosts no ServiceEntry defines (error), subsets no DestinationRule defines
 * (error), gateways no Gateway defines (error), hosts a bound Gateway does not serve (warning), and HTTP routes that can never match because an earlier route matches every request or the same
 * conditions (warning, like Istio's unreachable-rule analyzer); the same for RpcRoute hosts, destinations and rules,
 * plus RpcRoute retries that never happen and colourings that do not apply (warnings).
 */
export function analyzeResources(resources: Iterable<AnyIstioResource>): ConfigIssue[] {
  const all = [...resources].sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`));
  const model = buildModel(all);
  const out: ConfigIssue[] = [];
  for (const r of all) {
    if (r.kind === 'VirtualService') checkVirtualService(model, all, r, out);
    else if (r.kind === 'RpcRoute') checkRpcRoute(model, all, r, out);
  }
  checkRpcColouring(model, all.filter((r): r is IstioResource<'RpcRoute'> => r.kind === 'RpcRoute'), out);
  return out;
}
