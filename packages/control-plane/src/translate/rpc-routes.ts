import { hostMatches, resolveHost, visibleIn, type MeshModel, type Policy, type Service } from '../model/mesh-model.js';
import { toEnvoyDuration } from '../sources/duration.js';
import type { RpcDestination, RpcMatch, RpcRouteSpec, RpcRule, RpcStringMatch } from '../sources/rpc-route-spec.js';
import { fractionalPercent, outboundClusterName } from './names.js';

type Json = Record<string, unknown>;

/** Retry conditions when an RpcRoute gives attempts but no `retryOn` (with a perTryTimeout, its expiry too). */
const DEFAULT_RETRY_ON = 'connect-failure,reset';
const DEFAULT_RETRY_ON_PER_TRY = 'connect-failure,reset,timeout';

export interface RpcRouteTable {
  readonly routes: Json[];
  /** From the first RpcRoute (by namespace/name) of these services that sets one: colouring is per listener. */
  readonly colouring: Json | undefined;
}

function stringMatcher(m: RpcStringMatch): Json {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { safe_regex: { regex: m.regex ?? '' } };
}

/** RpcRoutes visible in the proxy's namespace whose hosts cover `hostname`. */
export function rpcRoutesForHost(model: MeshModel, proxyNs: string, hostname: string): Policy<RpcRouteSpec>[] {
  return model.rpcRoutes.filter((r) => visibleIn(r.exportTo, proxyNs, r.namespace) && (r.spec.hosts ?? []).some((h) => hostMatches(resolveHost(h, r.namespace), hostname)));
}

/**
 * Which calls belong to a service: interface-level services by the call's service name (the ServiceEntry host as
 * written: a short name is not namespace-expanded here), application-level ones (Dubbo 3) by the call's
 * application. A rule's own condition on that field replaces it.
 */
function serviceScope(s: Service): RpcMatch {
  return s.rpcApplication ? { application: { exact: s.rpcApplication } } : { service: { exact: s.declaredHost ?? s.hostname } };
}

function routeMatch(scope: RpcMatch, m: RpcMatch): Json {
  const all: RpcMatch = { ...scope, ...m };
  const out: Json = {};
  for (const k of ['service', 'method', 'version', 'group', 'application'] as const) {
    const v = all[k];
    if (v) out[k] = stringMatcher(v);
  }
  if (all.headers) out.headers = Object.entries(all.headers).map(([name, v]) => ({ name, string_match: stringMatcher(v) }));
  if (all.parameters) out.parameters = all.parameters.map((p) => ({ index: p.index, value: stringMatcher(p) }));
  return out;
}

/** The outbound cluster of a destination: its port, else the listener's port when the target has it, else its only port. */
function clusterOf(model: MeshModel, d: RpcDestination, ns: string, port: number): string {
  const host = resolveHost(d.host, ns);
  const target = model.services.find((x) => x.hostname === host);
  const only = target?.ports.length === 1 ? target.ports[0]?.number : undefined;
  const p = d.port?.number ?? (target?.ports.some((x) => x.number === port) ? port : (only ?? port));
  return outboundClusterName(p, d.subset ?? '', host);
}

function routeAction(model: MeshModel, rule: RpcRule, ns: string, port: number, fallback: string): Json {
  const a: Json = {};
  const dests = (rule.route ?? []).filter((r, _i, list) => list.length === 1 || (r.weight ?? 0) > 0);
  const first = dests[0];
  if (dests.length > 1) a.weighted_clusters = { clusters: dests.map((d) => ({ name: clusterOf(model, d.destination, ns, port), weight: d.weight ?? 0 })) };
  else a.cluster = first ? clusterOf(model, first.destination, ns, port) : fallback;
  if (rule.timeout !== undefined) a.timeout = toEnvoyDuration(rule.timeout);
  const r = rule.retries;
  if (r && (r.attempts ?? 1) > 0 && (r.attempts !== undefined || r.retryOn !== undefined || r.perTryTimeout !== undefined)) {
    const policy: Json = { retry_on: r.retryOn ?? (r.perTryTimeout !== undefined ? DEFAULT_RETRY_ON_PER_TRY : DEFAULT_RETRY_ON), num_retries: r.attempts ?? 1 };
    if (r.perTryTimeout !== undefined) policy.per_try_timeout = toEnvoyDuration(r.perTryTimeout);
    a.retry_policy = policy;
  }
  if (r?.idempotent) a.idempotent = true;
  if (rule.mirror) {
    const m: Json = { cluster: clusterOf(model, rule.mirror, ns, port) };
    if (rule.mirrorPercentage) m.runtime_fraction = { default_value: fractionalPercent(rule.mirrorPercentage.value) };
    a.request_mirror_policies = [m];
  }
  if (rule.fault) a.fault = faultConfig(rule.fault);
  if (rule.rateLimit) {
    const b = rule.rateLimit.tokenBucket;
    a.local_rate_limit = { token_bucket: { max_tokens: b.maxTokens, tokens_per_fill: b.tokensPerFill ?? 1, fill_interval: toEnvoyDuration(b.fillInterval) } };
  }
  return a;
}

/** The rpc_proxy RouteAction `fault` (its shape: Envoy's HTTP fault delay / abort with a message instead of a status). */
function faultConfig(f: NonNullable<RpcRule['fault']>): Json {
  const out: Json = {};
  if (f.delay) {
    out.delay = { fixed_delay: toEnvoyDuration(f.delay.fixedDelay), percentage: fractionalPercent(f.delay.percentage?.value ?? 100) };
  }
  if (f.abort) {
    out.abort = { percentage: fractionalPercent(f.abort.percentage?.value ?? 100), ...(f.abort.message !== undefined ? { message: f.abort.message } : {}) };
  }
  return out;
}

/**
 * The rpc_proxy route table of one outbound listener port: per service (in hostname order) the rules of its
 * RpcRoutes (each match entry one route, scoped to the service), then a default route to the service's cluster.
 */
export function rpcRouteTable(model: MeshModel, proxyNs: string, services: readonly Service[], port: number): RpcRouteTable {
  const routes: Json[] = [];
  // The first RpcRoute in namespace/name order (the model's) that colours one of these services.
  let first: Policy<RpcRouteSpec> | undefined;
  for (const s of services) {
    const scope = serviceScope(s);
    const own = outboundClusterName(port, '', s.hostname);
    for (const rr of rpcRoutesForHost(model, proxyNs, s.hostname)) {
      if (rr.spec.colouring && (!first || model.rpcRoutes.indexOf(rr) < model.rpcRoutes.indexOf(first))) first = rr;
      (rr.spec.rules ?? []).forEach((rule, i) => {
        const matches = rule.match?.length ? rule.match : [{}];
        matches.forEach((m, j) => {
          const name = `${rr.namespace}/${rr.name}/${rule.name ?? String(i)}${matches.length > 1 ? `/${j}` : ''}|${s.hostname}`;
          routes.push({ name, match: routeMatch(scope, m), route: routeAction(model, rule, rr.namespace, port, own) });
        });
      });
    }
    routes.push({ name: `default|${s.hostname}`, match: routeMatch(scope, {}), route: { cluster: own } });
  }
  const c = first?.spec.colouring;
  return { routes, colouring: c ? { header: c.header, label: c.label ?? 'colour' } : undefined };
}
