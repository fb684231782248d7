import { ConfigError, joinPath } from '@weft/api/lite';
import type { Metadata__Output } from '@weft/api/envoy/envoy/config/core/v3/Metadata.js';
import type { Route__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/Route.js';
import type { RouteMatch__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/RouteMatch.js';
import type { RpcFrame } from '../interfaces/rpc-codec.js';
import { HeaderMap } from '../interfaces/header-map.js';
import type { RouteRequest } from '../router/route-request.js';
import { compileHeaderMatcher, compileRuntimeFraction, parseInt64, type HeaderMatcher, type RuntimeFraction } from '../router/route-matchers.js';
import { compileStringMatcher, type StringMatcher } from '../router/string-matcher.js';
import { valueToJson } from '../config/struct.js';
import { durationMs } from '../server/duration.js';
import type { TokenBucket } from '../server/token-bucket.js';
import { HostChoice } from './rpc-host.js';
import { compilePerTryTimeout, compileRpcFault, compileRpcRateLimit, type RpcFault } from './rpc-policies.js';

/** Retry conditions (bit set). */
export const RetryOn = { CONNECT_FAILURE: 1, RESET: 2, TIMEOUT: 4, SERVER_ERROR: 8 } as const;
const RETRY_ON_NAMES: Record<string, number> = {
  'connect-failure': RetryOn.CONNECT_FAILURE,
  reset: RetryOn.RESET,
  timeout: RetryOn.TIMEOUT,
  'server-error': RetryOn.SERVER_ERROR,
};

/** Envoy's default route timeout. */
export const DEFAULT_RPC_TIMEOUT_MS = 15_000;

export interface RpcClusterChoice {
  readonly name: string;
  readonly weight: number;
  /** Host selection by endpoint `envoy.lb` labels (route metadata_match merged with the cluster's own) and colour. */
  readonly hosts: HostChoice;
}

export interface RpcRetryPolicy {
  readonly retryOn: number;
  readonly numRetries: number;
}

export interface RpcMirrorPolicy {
  readonly cluster: string;
  readonly fraction: RuntimeFraction | undefined;
}

/** A condition on one call argument (by index). */
export interface ParameterMatch {
  readonly index: number;
  matches(arg: unknown): boolean;
}

/** The argument's string form against a StringMatcher. */
export class StringParameterMatch implements ParameterMatch {
  constructor(
    readonly index: number,
    private readonly matcher: StringMatcher,
  ) {}

  matches(arg: unknown): boolean {
    const v = argText(arg);
    return v !== undefined && this.matcher.match(v);
  }
}

/** An integer argument within [start, end) (Envoy's Int64Range). */
export class RangeParameterMatch implements ParameterMatch {
  constructor(
    readonly index: number,
    private readonly start: bigint,
    private readonly end: bigint,
  ) {}

  matches(arg: unknown): boolean {
    const v = argText(arg);
    const n = v === undefined ? undefined : parseInt64(v);
    return n !== undefined && n >= this.start && n < this.end;
  }
}

/** A compiled RPC route: first match wins (see RpcRouteTable). */
export class RpcRoute {
  constructor(
    readonly name: string,
    private readonly service: StringMatcher | undefined,
    private readonly method: StringMatcher | undefined,
    private readonly version: StringMatcher | undefined,
    private readonly group: StringMatcher | undefined,
    private readonly application: StringMatcher | undefined,
    private readonly headers: readonly HeaderMatcher[],
    private readonly params: readonly ParameterMatch[],
    readonly clusters: readonly RpcClusterChoice[],
    readonly totalWeight: number,
    readonly timeoutMs: number,
    /** Undefined when the route may not retry (no policy, or not idempotent and not forced). */
    readonly retry: RpcRetryPolicy | undefined,
    readonly mirrors: readonly RpcMirrorPolicy[],
    readonly fault: RpcFault | undefined = undefined,
    /** The route's local rate limit bucket. */
    readonly rateLimit: TokenBucket | undefined = undefined,
    /** 0: each attempt is bounded only by the route timeout. */
    readonly perTryTimeoutMs = 0,
  ) {}

  /** Throws RpcProtocolError when a parameter matcher needs arguments that cannot be decoded. */
  matches(f: RpcFrame): boolean {
    if (this.service !== undefined && !this.service.match(f.service)) return false;
    if (this.method !== undefined && !this.method.match(f.method)) return false;
    if (this.version !== undefined && !this.version.match(f.version)) return false;
    if (this.group !== undefined && !this.group.match(f.group)) return false;
    if (this.application !== undefined && !this.application.match(f.application)) return false;
    if (this.headers.length !== 0 && !this.matchHeaders(f)) return false;
    if (this.params.length !== 0) {
      const args = f.args();
      for (const p of this.params) if (!p.matches(args[p.index])) return false;
    }
    return true;
  }

  /** Picks a cluster by weight; `r` is a uniform uint32. */
  pickCluster(r: number): RpcClusterChoice {
    const cs = this.clusters;
    if (cs.length === 1) return cs[0] as RpcClusterChoice;
    let n = r % this.totalWeight;
    for (const c of cs) {
      if (n < c.weight) return c;
      n -= c.weight;
    }
    return cs[cs.length - 1] as RpcClusterChoice;
  }

  private matchHeaders(f: RpcFrame): boolean {
    // Envoy's header matchers run over a HeaderMap with lower-case names: built only for routes that need it.
    const map = new HeaderMap();
    for (const [k, v] of f.headers) map.add(k.toLowerCase(), v);
    const req: RouteRequest = { headers: map, method: f.method, path: f.service, authority: '', scheme: 'http', sourceIp: '', random: 0 };
    for (const h of this.headers) if (!h.matches(req)) return false;
    return true;
  }
}

/** An argument's string form for parameter matching; undefined for values without one (objects, missing). */
function argText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return undefined;
  }
}

export function optMatcher(m: RouteMatch__Output['service'], path: string): StringMatcher | undefined {
  return m ? compileStringMatcher(m, path) : undefined;
}

/** `envoy.lb` string values of a metadata_match (other filter namespaces are refused). */
export function metadataLabels(md: Metadata__Output | null, path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!md) return out;
  if (Object.keys(md.typed_filter_metadata ?? {}).length > 0) throw new ConfigError(joinPath(path, 'typed_filter_metadata'), 'is not supported yet');
  for (const [ns, struct] of Object.entries(md.filter_metadata)) {
    const nsPath = joinPath(joinPath(path, 'filter_metadata'), ns);
    if (ns !== 'envoy.lb') throw new ConfigError(nsPath, "only the 'envoy.lb' namespace selects hosts");
    for (const [k, v] of Object.entries(struct.fields)) {
      const j = valueToJson(v);
      if (typeof j !== 'string' && typeof j !== 'number' && typeof j !== 'boolean') {
        throw new ConfigError(joinPath(nsPath, k), 'must be a string, number or boolean');
      }
      out.set(k, String(j));
    }
  }
  return out;
}

export interface RouteCompileDeps {
  readonly hasCluster: (name: string) => boolean;
}

export function compileRpcRoute(r: Route__Output, path: string, deps: RouteCompileDeps): RpcRoute {
  const m = r.match;
  const mp = joinPath(path, 'match');
  const headers = (m?.headers ?? []).map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(mp, 'headers'), i)));
  const params = (m?.parameters ?? []).map((p, i) => {
    const pp = joinPath(joinPath(mp, 'parameters'), i);
    return new StringParameterMatch(p.index, compileStringMatcher(p.value, joinPath(pp, 'value')));
  });
  const a = r.route;
  const ap = joinPath(path, 'route');
  if (!a) throw new ConfigError(ap, 'is required');
  const { clusters, totalWeight } = compileClusters(a, ap, deps);
  const timeoutMs = durationMs(a.timeout, DEFAULT_RPC_TIMEOUT_MS);
  let retry: RpcRetryPolicy | undefined;
  let perTryTimeoutMs = 0;
  if (a.retry_policy) {
    const rp = joinPath(ap, 'retry_policy');
    let retryOn = 0;
    for (const part of a.retry_policy.retry_on.split(',')) {
      const t = part.trim();
      if (t === '') continue;
      const bit = RETRY_ON_NAMES[t];
      if (bit === undefined) throw new ConfigError(joinPath(rp, 'retry_on'), `unknown retry condition '${t}' (connect-failure, reset, timeout, server-error)`);
      retryOn |= bit;
    }
    if (retryOn === 0) throw new ConfigError(joinPath(rp, 'retry_on'), 'needs at least one condition');
    const numRetries = a.retry_policy.num_retries ? a.retry_policy.num_retries.value : 1;
    perTryTimeoutMs = compilePerTryTimeout(a.retry_policy.per_try_timeout, joinPath(rp, 'per_try_timeout'));
    if (numRetries > 0 && (a.idempotent || a.retry_policy.retry_non_idempotent)) retry = { retryOn, numRetries };
  }
  const mirrors = a.request_mirror_policies.map((mp2, i) => {
    const p = joinPath(joinPath(ap, 'request_mirror_policies'), i);
    if (!mp2.cluster) throw new ConfigError(joinPath(p, 'cluster'), 'is required');
    if (!deps.hasCluster(mp2.cluster)) throw new ConfigError(joinPath(p, 'cluster'), `unknown cluster '${mp2.cluster}'`);
    return { cluster: mp2.cluster, fraction: mp2.runtime_fraction ? compileRuntimeFraction(mp2.runtime_fraction, joinPath(p, 'runtime_fraction')) : undefined };
  });
  return new RpcRoute(
    r.name,
    optMatcher(m?.service ?? null, joinPath(mp, 'service')),
    optMatcher(m?.method ?? null, joinPath(mp, 'method')),
    optMatcher(m?.version ?? null, joinPath(mp, 'version')),
    optMatcher(m?.group ?? null, joinPath(mp, 'group')),
    optMatcher(m?.application ?? null, joinPath(mp, 'application')),
    headers,
    params,
    clusters,
    totalWeight,
    timeoutMs,
    retry,
    mirrors,
    a.fault ? compileRpcFault(a.fault, joinPath(ap, 'fault')) : undefined,
    a.local_rate_limit ? compileRpcRateLimit(a.local_rate_limit, joinPath(ap, 'local_rate_limit')) : undefined,
    perTryTimeoutMs,
  );
}

/** The cluster part of a route action (Weft's RouteAction, or Envoy's dubbo_proxy one converted to it). */
export interface ClusterSpec {
  readonly cluster_specifier?: string | undefined;
  readonly cluster?: string | undefined;
  readonly weighted_clusters?: { readonly clusters: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly metadata_match: Metadata__Output | null }> } | null | undefined;
  readonly metadata_match: Metadata__Output | null;
}

export function compileClusters(a: ClusterSpec, ap: string, deps: RouteCompileDeps): { clusters: RpcClusterChoice[]; totalWeight: number } {
  const routeLabels = metadataLabels(a.metadata_match, joinPath(ap, 'metadata_match'));
  const clusters: RpcClusterChoice[] = [];
  if (a.cluster_specifier === 'cluster') {
    if (!a.cluster) throw new ConfigError(joinPath(ap, 'cluster'), 'must not be empty');
    if (!deps.hasCluster(a.cluster)) throw new ConfigError(joinPath(ap, 'cluster'), `unknown cluster '${a.cluster}'`);
    clusters.push({ name: a.cluster, weight: 1, hosts: new HostChoice(routeLabels) });
  } else if (a.cluster_specifier === 'weighted_clusters' && a.weighted_clusters) {
    const wp = joinPath(ap, 'weighted_clusters.clusters');
    a.weighted_clusters.clusters.forEach((c, i) => {
      const p = joinPath(wp, i);
      if (!c.name) throw new ConfigError(joinPath(p, 'name'), 'is required');
      if (!deps.hasCluster(c.name)) throw new ConfigError(joinPath(p, 'name'), `unknown cluster '${c.name}'`);
      const labels = new Map(routeLabels);
      for (const [k, v] of metadataLabels(c.metadata_match, joinPath(p, 'metadata_match'))) labels.set(k, v);
      clusters.push({ name: c.name, weight: c.weight, hosts: new HostChoice(labels) });
    });
    if (clusters.length === 0) throw new ConfigError(wp, 'needs at least one cluster');
  } else {
    throw new ConfigError(ap, 'one of cluster or weighted_clusters is required');
  }
  const totalWeight = clusters.reduce((n, c) => n + c.weight, 0);
  if (totalWeight === 0) throw new ConfigError(joinPath(ap, 'weighted_clusters'), 'total weight must be greater than 0');
  return { clusters, totalWeight };
}
