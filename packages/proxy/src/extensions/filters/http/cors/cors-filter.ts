import { PassThroughFilter } from '../../../../http/pass-through-filter.js';
import { HeaderMap } from '../../../../interfaces/header-map.js';
import { FilterStatus, type HttpResponseHead } from '../../../../interfaces/http-filter.js';
import type { Runtime } from '../../../../interfaces/runtime.js';
import type { Counter } from '../../../../interfaces/stats.js';
import { allPerRouteConfigs } from '../../../../router/per-filter-config.js';
import { CorsPolicy, EffectiveCors } from './cors-policy.js';

export interface CorsFilterConfig {
  readonly filterName: string;
  readonly runtime: Runtime;
  readonly originValid: Counter;
  readonly originInvalid: Counter;
}

function random32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * envoy.filters.http.cors: answers preflights (OPTIONS + Origin + Access-Control-Request-Method) itself with 200 and
 * the policy's allow-* headers, and adds allow-origin / -credentials / expose-headers to responses of CORS requests
 * from an allowed origin. Policies come only from typed_per_filter_config (CorsPolicy) on the route's levels.
 */
export class CorsFilter extends PassThroughFilter {
  private cors: EffectiveCors | undefined;
  /** The allowed origin to echo on the response ('' when none). */
  private origin = '';

  constructor(private readonly config: CorsFilterConfig) {
    super();
  }

  decodeHeaders(): FilterStatus {
    const cb = this.cb;
    const policies = allPerRouteConfigs(cb.route, this.config.filterName, CorsPolicy);
    if (policies.length === 0) return FilterStatus.Continue;
    const cors = new EffectiveCors(policies);
    const rt = this.config.runtime;
    const enabled = cors.enabled(rt, random32());
    const shadow = cors.shadow(rt, random32());
    if (!enabled && !shadow) return FilterStatus.Continue;
    const headers = cb.request.headers;
    const origin = headers.get('origin');
    if (origin === undefined || origin === '') return FilterStatus.Continue;
    const allowed = cors.isOriginAllowed(origin);
    if (allowed) {
      this.config.originValid.inc();
      this.origin = origin;
    } else {
      this.config.originInvalid.inc();
    }
    if (!enabled) return FilterStatus.Continue; // shadow mode: count only
    this.cors = cors;
    if (cb.request.method !== 'OPTIONS') return FilterStatus.Continue;
    const requestMethod = headers.get('access-control-request-method');
    if (requestMethod === undefined || requestMethod === '') return FilterStatus.Continue;
    if (!allowed && cors.forwardNotMatchingPreflights) return FilterStatus.Continue;
    const out = new HeaderMap();
    if (allowed) out.set('access-control-allow-origin', origin);
    if (cors.allowCredentials) out.set('access-control-allow-credentials', 'true');
    const methods = cors.allowMethods;
    if (methods !== '') out.set('access-control-allow-methods', methods === '*' ? requestMethod : methods);
    const allowHeaders = cors.allowHeaders;
    if (allowHeaders !== '') out.set('access-control-allow-headers', allowHeaders === '*' ? (headers.get('access-control-request-headers') ?? '') : allowHeaders);
    if (cors.maxAge !== '') out.set('access-control-max-age', cors.maxAge);
    if (cors.allowPrivateNetworkAccess && headers.get('access-control-request-private-network') === 'true') out.set('access-control-allow-private-network', 'true');
    // The preflight response is not a CORS simple response: encodeHeaders must not add to it again.
    this.cors = undefined;
    cb.info.responseCodeDetails = 'cors_response';
    cb.encodeHeaders({ status: 200, headers: out }, true);
    return FilterStatus.StopIteration;
  }

  override encodeHeaders(head: HttpResponseHead): FilterStatus {
    const cors = this.cors;
    if (cors === undefined || this.origin === '') return FilterStatus.Continue;
    const headers = head.headers;
    headers.set('access-control-allow-origin', this.origin);
    if (cors.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    if (cors.exposeHeaders !== '') headers.set('access-control-expose-headers', cors.exposeHeaders);
    return FilterStatus.Continue;
  }

  onDestroy(): void {
    this.cors = undefined;
  }
}
