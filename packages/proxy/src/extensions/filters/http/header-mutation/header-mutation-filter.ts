import { PassThroughFilter } from '../../../../http/pass-through-filter.js';
import { FilterStatus, type HttpResponseHead } from '../../../../interfaces/http-filter.js';
import type { HeaderMap } from '../../../../interfaces/header-map.js';
import type { HeaderFormatContext } from '../../../../router/header-formatter.js';
import { allPerRouteConfigs } from '../../../../router/per-filter-config.js';
import { HeaderMutationPerRoute, type Mutations } from './mutations.js';

export interface HeaderMutationFilterConfig {
  readonly mutations: Mutations;
  readonly mostSpecificWins: boolean;
  readonly filterName: string;
  readonly hostname: string;
}

/**
 * envoy.filters.http.header_mutation: the filter's own mutations first, then the per-route levels — most specific
 * first by default, least specific first with most_specific_header_mutations_wins (so the most specific runs last).
 */
export class HeaderMutationFilter extends PassThroughFilter {
  private routeLevels: readonly HeaderMutationPerRoute[] | undefined;

  constructor(private readonly config: HeaderMutationFilterConfig) {
    super();
  }

  private levels(): readonly HeaderMutationPerRoute[] {
    this.routeLevels ??= allPerRouteConfigs(this.cb.route, this.config.filterName, HeaderMutationPerRoute);
    return this.routeLevels;
  }

  private run(headers: HeaderMap, ctx: HeaderFormatContext, response: boolean): void {
    const own = this.config.mutations;
    (response ? own.response : own.request).apply(headers, ctx);
    const levels = this.levels();
    const n = levels.length;
    for (let i = 0; i < n; i++) {
      const m = (levels[this.config.mostSpecificWins ? n - 1 - i : i] as HeaderMutationPerRoute).mutations;
      (response ? m.response : m.request).apply(headers, ctx);
    }
  }

  decodeHeaders(): FilterStatus {
    this.run(this.cb.request.headers, this.formatContext(), false);
    return FilterStatus.Continue;
  }

  override encodeHeaders(head: HttpResponseHead): FilterStatus {
    this.run(head.headers, this.formatContext(head.headers), true);
    return FilterStatus.Continue;
  }

  onDestroy(): void {
    this.routeLevels = undefined;
  }

  private formatContext(responseHeaders?: HeaderMap): HeaderFormatContext {
    const req = this.cb.request;
    const ctx: HeaderFormatContext = {
      streamInfo: this.cb.info,
      requestHeaders: req.headers,
      hostname: this.config.hostname,
      request: { method: req.method, path: req.path, scheme: req.scheme, authority: req.authority },
      ...(responseHeaders ? { responseHeaders } : {}),
    };
    return ctx;
  }
}
