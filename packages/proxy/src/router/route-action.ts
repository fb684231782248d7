import { ConfigError, joinPath } from '@weft/api/lite';
import type { RouteAction__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteAction.js';
import type { WeightedCluster__Output } from '@weft/api/envoy/envoy/config/route/v3/WeightedCluster.js';
import type { Runtime } from '../interfaces/runtime.js';
import { durationMs } from '../server/duration.js';
import { compileHashPolicy, type HashCookieSink, type HashPolicy } from './hash-policy.js';
import { compileHeaderMutation, type HeaderMutation } from './header-mutation.js';
import { PathRewrite } from './path-rewrite.js';
import type { CompiledRouteMatch } from './route-matchers.js';
import { firstHeaderValue, pathPartEnd, type RouteRequest } from './route-request.js';
import { compileRegexRewrite, type RegexRewrite } from './safe-regex.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';

/** Envoy's default upstream request timeout when `route.timeout` is unset. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

/** `typed_per_filter_config` as received (filter name → decoded Any); filters parse their own entry. */
export type PerFilterConfig = Readonly<Record<string, unknown>>;

/** The cluster chosen for one request. */
export interface PickedCluster {
  readonly name: string;
  readonly weighted?: WeightedClusterEntry;
}

/** One `weighted_clusters.clusters[]` entry. */
export class WeightedClusterEntry {
  /** Pre-built pick result for a named cluster (no allocation per request). */
  readonly picked: PickedCluster;

  constructor(
    /** Cluster name; '' when the name comes from `clusterHeader`. */
    readonly name: string,
    readonly clusterHeader: string,
    readonly weight: number,
    /** `<runtime_key_prefix>.<name>`, or '' when weights are not runtime-overridable. */
    readonly runtimeKey: string,
    readonly requestMutation: HeaderMutation,
    readonly responseMutation: HeaderMutation,
    readonly hostRewriteLiteral: string,
    readonly perFilterConfig: PerFilterConfig,
  ) {
    this.picked = { name, weighted: this };
  }
}

const CLUSTER_NOT_FOUND_CODES: Readonly<Record<string, number>> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

const S_STATIC = 0;
const S_HEADER = 1;
const S_WEIGHTED = 2;
const MAX_UINT32 = 0xffffffff;

/** `route` action: forward to a cluster. */
export class ClusterRouteAction {
  readonly kind = 'route' as const;
  /** Static cluster name ('' for cluster_header / weighted_clusters). */
  readonly clusterName: string;
  /** Request header naming the cluster ('' unless cluster_header). */
  readonly clusterHeader: string;
  readonly weightedClusters: readonly WeightedClusterEntry[] | undefined;
  readonly totalWeight: number;
  readonly runtimeKeyPrefix: string;
  /** weighted_clusters.header_name: a request header carrying the selection value. */
  readonly randomValueHeader: string;
  readonly clusterNotFoundResponseCode: number;
  readonly pathRewrite: PathRewrite;
  readonly hostRewriteLiteral: string;
  readonly hostRewriteHeader: string;
  readonly hostRewritePathRegex: RegexRewrite | undefined;
  /** Rewrite Host to the chosen upstream host's hostname (done by the caller after host selection). */
  readonly autoHostRewrite: boolean;
  readonly appendXForwardedHost: boolean;
  /** Upstream request timeout; 0 = disabled. */
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number | undefined;
  readonly maxStreamDurationMs: number | undefined;
  readonly grpcTimeoutHeaderMaxMs: number | undefined;
  readonly grpcTimeoutHeaderOffsetMs: number | undefined;
  readonly maxGrpcTimeoutMs: number | undefined;
  readonly grpcTimeoutOffsetMs: number | undefined;
  readonly hashPolicy: HashPolicy | undefined;
  readonly priority: 'DEFAULT' | 'HIGH';
  /** The route's own retry policy (the virtual host's applies when unset). */
  readonly retryPolicy: RetryPolicy | undefined;
  /** upgrade_configs: lower-case upgrade type → enabled. */
  readonly upgrades: ReadonlyMap<string, boolean>;
  /** CONNECT `connect_config`: the proxy terminates CONNECT and tunnels over TCP to the cluster's host. */
  readonly connectTerminate: boolean;
  private readonly specifier: number;
  private readonly staticPick: PickedCluster | undefined;

  constructor(
    a: RouteAction__Output,
    path: string,
    match: CompiledRouteMatch,
    private readonly runtime: Runtime,
  ) {
    rejectUnsupported(a, path);
    switch (a.cluster_specifier) {
      case 'cluster':
        if (!a.cluster) throw new ConfigError(joinPath(path, 'cluster'), 'must not be empty');
        this.specifier = S_STATIC;
        this.clusterName = a.cluster;
        this.clusterHeader = '';
        this.staticPick = { name: a.cluster };
        break;
      case 'cluster_header':
        this.specifier = S_HEADER;
        this.clusterName = '';
        this.clusterHeader = headerName(a.cluster_header ?? '', joinPath(path, 'cluster_header'));
        break;
      case 'weighted_clusters':
        this.specifier = S_WEIGHTED;
        this.clusterName = '';
        this.clusterHeader = '';
        break;
      case 'cluster_specifier_plugin':
      case 'inline_cluster_specifier_plugin':
        throw new ConfigError(joinPath(path, a.cluster_specifier), 'is not supported');
      default:
        throw new ConfigError(path, 'one of cluster, cluster_header or weighted_clusters is required');
    }
    const wc = a.weighted_clusters ? compileWeightedClusters(a.weighted_clusters, joinPath(path, 'weighted_clusters')) : undefined;
    this.weightedClusters = wc?.entries;
    this.totalWeight = wc?.total ?? 0;
    this.runtimeKeyPrefix = a.weighted_clusters?.runtime_key_prefix ?? '';
    this.randomValueHeader = a.weighted_clusters?.header_name ? headerName(a.weighted_clusters.header_name, joinPath(path, 'weighted_clusters.header_name')) : '';
    const notFound = CLUSTER_NOT_FOUND_CODES[a.cluster_not_found_response_code];
    if (notFound === undefined) throw new ConfigError(joinPath(path, 'cluster_not_found_response_code'), `unknown code ${a.cluster_not_found_response_code}`);
    this.clusterNotFoundResponseCode = notFound;

    if (/[\0\r\n]/.test(a.prefix_rewrite)) throw new ConfigError(joinPath(path, 'prefix_rewrite'), 'must not contain NUL, CR or LF');
    if (a.prefix_rewrite !== '' && a.regex_rewrite) throw new ConfigError(joinPath(path, 'regex_rewrite'), 'specify only one of prefix_rewrite or regex_rewrite');
    const regex = a.regex_rewrite ? compileRegexRewrite(a.regex_rewrite, joinPath(path, 'regex_rewrite')) : undefined;
    this.pathRewrite = a.prefix_rewrite !== '' || regex ? new PathRewrite(a.prefix_rewrite !== '' ? a.prefix_rewrite : undefined, regex, match) : PathRewrite.NONE;

    this.hostRewriteLiteral = '';
    this.hostRewriteHeader = '';
    this.hostRewritePathRegex = undefined;
    this.autoHostRewrite = false;
    switch (a.host_rewrite_specifier) {
      case 'host_rewrite_literal':
        if (/[\0\r\n]/.test(a.host_rewrite_literal ?? '')) throw new ConfigError(joinPath(path, 'host_rewrite_literal'), 'is not a valid header value');
        this.hostRewriteLiteral = a.host_rewrite_literal ?? '';
        break;
      case 'auto_host_rewrite':
        this.autoHostRewrite = a.auto_host_rewrite?.value ?? false;
        break;
      case 'host_rewrite_header':
        this.hostRewriteHeader = headerName(a.host_rewrite_header ?? '', joinPath(path, 'host_rewrite_header'));
        break;
      case 'host_rewrite_path_regex':
        this.hostRewritePathRegex = compileRegexRewrite(a.host_rewrite_path_regex as NonNullable<RouteAction__Output['host_rewrite_path_regex']>, joinPath(path, 'host_rewrite_path_regex'));
        break;
      default:
    }
    this.appendXForwardedHost = a.append_x_forwarded_host;

    this.timeoutMs = durationMs(a.timeout, DEFAULT_ROUTE_TIMEOUT_MS);
    this.idleTimeoutMs = optionalMs(a.idle_timeout);
    this.retryPolicy = a.retry_policy ? compileRetryPolicy(a.retry_policy, joinPath(path, 'retry_policy')) : undefined;
    this.maxStreamDurationMs = optionalMs(a.max_stream_duration?.max_stream_duration);
    this.grpcTimeoutHeaderMaxMs = optionalMs(a.max_stream_duration?.grpc_timeout_header_max);
    this.grpcTimeoutHeaderOffsetMs = optionalMs(a.max_stream_duration?.grpc_timeout_header_offset);
    this.maxGrpcTimeoutMs = optionalMs(a.max_grpc_timeout);
    this.grpcTimeoutOffsetMs = optionalMs(a.grpc_timeout_offset);
    this.hashPolicy = compileHashPolicy(a.hash_policy, joinPath(path, 'hash_policy'));
    this.priority = a.priority === 'HIGH' ? 'HIGH' : 'DEFAULT';
    const upgrades = new Map<string, boolean>();
    let connectTerminate = false;
    a.upgrade_configs.forEach((u, i) => {
      const up = joinPath(joinPath(path, 'upgrade_configs'), i);
      const type = u.upgrade_type.toLowerCase();
      if (type === '') throw new ConfigError(joinPath(up, 'upgrade_type'), 'must not be empty');
      if (upgrades.has(type)) throw new ConfigError(joinPath(up, 'upgrade_type'), `duplicate upgrade ${u.upgrade_type}`);
      const cc = u.connect_config;
      if (cc) {
        const ccPath = joinPath(up, 'connect_config');
        if (type !== 'connect') throw new ConfigError(ccPath, `is only valid with upgrade_type CONNECT, not ${u.upgrade_type}`);
        if (cc.proxy_protocol_config) throw new ConfigError(joinPath(ccPath, 'proxy_protocol_config'), 'is not supported yet');
        if (cc.allow_post) throw new ConfigError(joinPath(ccPath, 'allow_post'), 'is not supported yet');
        connectTerminate = true;
      }
      upgrades.set(type, u.enabled ? u.enabled.value : true);
    });
    this.upgrades = upgrades;
    this.connectTerminate = connectTerminate;
  }

  /** The cluster for this request; undefined when the cluster header is missing (the caller answers NC). */
  pickCluster(req: RouteRequest): PickedCluster | undefined {
    if (this.specifier === S_STATIC) return this.staticPick;
    if (this.specifier === S_HEADER) {
      const name = firstHeaderValue(req, this.clusterHeader);
      return name ? { name } : undefined;
    }
    return this.pickWeighted(req);
  }

  /** The request target after prefix_rewrite / regex_rewrite (query preserved); `path` itself when none applies. */
  rewritePath(path: string, _req?: RouteRequest): string {
    return this.pathRewrite.apply(path);
  }

  /** New Host value from host_rewrite_literal / _header / _path_regex or the weighted cluster's literal, if any. */
  hostRewriteFor(req: RouteRequest, picked?: PickedCluster): string | undefined {
    let host = '';
    if (this.hostRewriteLiteral !== '') host = this.hostRewriteLiteral;
    else if (this.hostRewriteHeader !== '') host = firstHeaderValue(req, this.hostRewriteHeader) ?? '';
    else if (this.hostRewritePathRegex !== undefined) host = this.hostRewritePathRegex.apply(req.path.slice(0, pathPartEnd(req.path)));
    if (host !== '') return host;
    const literal = picked?.weighted?.hostRewriteLiteral;
    return literal ? literal : undefined;
  }

  computeHash(req: RouteRequest, cookies?: HashCookieSink): number | undefined {
    return this.hashPolicy?.computeHash(req, cookies);
  }

  private pickWeighted(req: RouteRequest): PickedCluster | undefined {
    const entries = this.weightedClusters as readonly WeightedClusterEntry[];
    const runtime = this.runtimeKeyPrefix !== '';
    let total = this.totalWeight;
    if (runtime) {
      total = 0;
      for (const e of entries) total += this.weightOf(e);
      if (total > MAX_UINT32) return undefined;
    }
    if (total === 0) return undefined;
    const selected = selectionValue(req, this.randomValueHeader, total);
    let end = 0;
    for (const e of entries) {
      end += runtime ? this.weightOf(e) : e.weight;
      if (selected < end) {
        if (e.clusterHeader === '') return e.picked;
        const name = firstHeaderValue(req, e.clusterHeader);
        return name ? { name, weighted: e } : undefined;
      }
    }
    return undefined;
  }

  private weightOf(e: WeightedClusterEntry): number {
    const w = Math.floor(this.runtime.getNumber(e.runtimeKey, e.weight));
    return w > 0 ? Math.min(w, MAX_UINT32) : 0;
  }
}

/** `(header value if single-valued and numeric, else req.random) % total`, uint64 as Envoy (BigInt only if huge). */
function selectionValue(req: RouteRequest, header: string, total: number): number {
  if (header !== '') {
    const names = req.headers.names;
    let value: string | undefined;
    let count = 0;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === header) {
        value = req.headers.values[i];
        count++;
      }
    }
    if (count === 1 && value !== undefined) {
      const t = value.trim();
      if (/^\+?[0-9]{1,20}$/.test(t)) {
        const n = BigInt(t);
        if (n <= 0xffffffffffffffffn) return Number(n % BigInt(total));
      }
    }
  }
  return req.random % total;
}

function compileWeightedClusters(w: WeightedCluster__Output, path: string): { entries: WeightedClusterEntry[]; total: number } {
  if (w.clusters.length === 0) throw new ConfigError(joinPath(path, 'clusters'), 'must have at least one cluster');
  let total = 0;
  const entries = w.clusters.map((c, i) => {
    const cp = joinPath(joinPath(path, 'clusters'), i);
    if ((c.name === '') === (c.cluster_header === '')) {
      throw new ConfigError(cp, c.name === '' ? 'one of name or cluster_header is required' : 'only one of name or cluster_header may be set');
    }
    if (!c.weight) throw new ConfigError(joinPath(cp, 'weight'), 'is required');
    if (c.metadata_match) throw new ConfigError(joinPath(cp, 'metadata_match'), 'is not supported');
    total += c.weight.value;
    if (total > MAX_UINT32) throw new ConfigError(joinPath(path, 'clusters'), `the sum of weights exceeds ${MAX_UINT32}`);
    return new WeightedClusterEntry(
      c.name,
      c.cluster_header ? headerName(c.cluster_header, joinPath(cp, 'cluster_header')) : '',
      c.weight.value,
      w.runtime_key_prefix ? `${w.runtime_key_prefix}.${c.name}` : '',
      compileHeaderMutation(c.request_headers_to_add, c.request_headers_to_remove, joinPath(cp, 'request_headers_to_add'), joinPath(cp, 'request_headers_to_remove')),
      compileHeaderMutation(c.response_headers_to_add, c.response_headers_to_remove, joinPath(cp, 'response_headers_to_add'), joinPath(cp, 'response_headers_to_remove')),
      c.host_rewrite_literal ?? '',
      c.typed_per_filter_config,
    );
  });
  if (total === 0) throw new ConfigError(joinPath(path, 'clusters'), 'the sum of weights must be greater than 0');
  // total_weight is deprecated; when given it must agree (older Envoy enforced this, newer ignores it).
  if (w.total_weight && w.total_weight.value !== total) {
    throw new ConfigError(joinPath(path, 'total_weight'), `is ${w.total_weight.value} but the weights add up to ${total}`);
  }
  return { entries, total };
}

function headerName(name: string, path: string): string {
  if (name === '' || /[\0\r\n]/.test(name)) throw new ConfigError(path, 'must be a non-empty header name');
  return name.toLowerCase();
}

function optionalMs(d: Parameters<typeof durationMs>[0]): number | undefined {
  return d ? durationMs(d, 0) : undefined;
}

/** RouteAction fields that change behaviour and are not implemented yet: rejected rather than ignored. */
function rejectUnsupported(a: RouteAction__Output, path: string): void {
  const unsupported: Array<[string, boolean]> = [
    ['metadata_match', a.metadata_match !== null],
    ['retry_policy_typed_config', a.retry_policy_typed_config !== null],
    ['rate_limits', a.rate_limits.length > 0],
    ['cors', a.cors !== null],
    ['hedge_policy', a.hedge_policy !== null],
    ['internal_redirect_action', a.internal_redirect_action === 'HANDLE_INTERNAL_REDIRECT'],
    ['internal_redirect_policy', a.internal_redirect_policy !== null],
    ['early_data_policy', a.early_data_policy !== null],
    ['path_rewrite_policy', a.path_rewrite_policy !== null],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported');
}
