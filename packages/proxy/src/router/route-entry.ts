import type { MirrorPolicy } from './mirror-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Metadata__Output } from '@weft/api/envoy/envoy/config/core/v3/Metadata.js';
import type { Runtime } from '../interfaces/runtime.js';
import type { DirectResponseRouteAction } from './direct-response.js';
import type { HeaderMutation } from './header-mutation.js';
import type { RedirectRouteAction } from './redirect-action.js';
import type { ClusterRouteAction, PerFilterConfig } from './route-action.js';
import type { CompiledRouteMatch } from './route-matchers.js';
import { NO_FILTER_CONFIGS, NO_ROUTE_FILTER_CONFIGS, type ParsedFilterConfigs, type RouteFilterConfigs } from './per-filter-config.js';
import { pathPartEnd, type RouteRequest } from './route-request.js';

export type RouteAction = ClusterRouteAction | RedirectRouteAction | DirectResponseRouteAction;

/** Route / virtual host / route configuration `metadata` as received (filter_metadata etc.). */
export type RouteMetadata = Metadata__Output | null;

export interface RouteDecorator {
  readonly operation: string;
  readonly propagate: boolean;
}

/** One compiled `Route`. Immutable; shared by every request that selects it. */
export class RouteEntry {
  readonly kind: RouteAction['kind'];
  /** Parsed typed_per_filter_config of this route, virtual host and route configuration (set by the compiler). */
  filterConfigs: RouteFilterConfigs = NO_ROUTE_FILTER_CONFIGS;
  /** Where copies of each request go (route's, else the virtual host's, else the route configuration's). */
  mirrorPolicies: readonly MirrorPolicy[] = [];

  constructor(
    readonly name: string,
    readonly virtualHost: VirtualHostEntry,
    readonly action: RouteAction,
    /** undefined only for the synthesized require_tls redirect. */
    readonly match: CompiledRouteMatch | undefined,
    /** This route's own request_headers_to_add/remove. */
    readonly requestHeaderMutation: HeaderMutation,
    readonly responseHeaderMutation: HeaderMutation,
    /** Route, virtual host and route-config levels in evaluation order (later wins), empty levels left out. */
    readonly requestMutations: readonly HeaderMutation[],
    readonly responseMutations: readonly HeaderMutation[],
    readonly perFilterConfig: PerFilterConfig,
    readonly metadata: RouteMetadata,
    readonly decorator: RouteDecorator | undefined,
    readonly statPrefix: string,
    /** per_request_buffer_limit_bytes (route, else virtual host), undefined when neither sets it. */
    readonly perRequestBufferLimitBytes: number | undefined,
    /** Route `tracing` as received (not interpreted yet). */
    readonly tracing: unknown,
  ) {
    this.kind = action.kind;
  }
}

export type TlsRequirement = 'NONE' | 'EXTERNAL_ONLY' | 'ALL';

/** One compiled `VirtualHost`. */
export class VirtualHostEntry {
  /** `request_mirror_policies` in effect for routes that set none (the route configuration's when empty here). */
  mirrorPolicies: readonly MirrorPolicy[] = [];
  /** Filled by the compiler right after construction, in config order. */
  readonly routes: readonly RouteEntry[] = [];
  /** The 301-to-https route used when require_tls applies; set by the compiler. */
  tlsRedirect: RouteEntry | undefined;
  /** This virtual host's parsed typed_per_filter_config (set by the compiler). */
  filterConfigs: ParsedFilterConfigs = NO_FILTER_CONFIGS;

  constructor(
    readonly name: string,
    readonly domains: readonly string[],
    readonly requireTls: TlsRequirement,
    readonly requestHeaderMutation: HeaderMutation,
    readonly responseHeaderMutation: HeaderMutation,
    readonly perFilterConfig: PerFilterConfig,
    readonly metadata: RouteMetadata,
    readonly includeRequestAttemptCount: boolean,
    readonly includeAttemptCountInResponse: boolean,
    readonly includeIsTimeoutRetryHeader: boolean,
    readonly perRequestBufferLimitBytes: number | undefined,
    /** virtual_clusters as received (stats only; not interpreted yet). */
    readonly virtualClusters: readonly unknown[],
    readonly retryPolicy: RetryPolicy | undefined = undefined,
  ) {}

  /** First matching route, Envoy order; the TLS redirect first when require_tls applies. */
  selectRoute(req: RouteRequest, runtime: Runtime, ignorePathParameters: boolean): RouteEntry | undefined {
    if (this.requireTls !== 'NONE') {
      const proto = req.headers.get('x-forwarded-proto') ?? req.scheme;
      if (proto !== 'https' && (this.requireTls === 'ALL' || req.headers.get('x-envoy-internal') !== 'true')) return this.tlsRedirect;
    }
    const path = req.path;
    let end = pathPartEnd(path);
    if (ignorePathParameters) {
      const semi = path.indexOf(';');
      if (semi !== -1 && semi < end) end = semi;
    }
    // HTTP/1 CONNECT carries an authority-form target, i.e. no path: only connect_matcher routes apply.
    const pathless = req.method === 'CONNECT' && path.charCodeAt(0) !== 47; /* / */
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i] as RouteEntry;
      const m = r.match as CompiledRouteMatch;
      if (pathless && !m.supportsPathless) continue;
      if (m.matches(req, end, runtime)) return r;
    }
    return undefined;
  }
}
