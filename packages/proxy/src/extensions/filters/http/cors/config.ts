import type { CorsPolicy__Output } from '@weft/api/envoy/envoy/extensions/filters/http/cors/v3/CorsPolicy.js';
import type { HttpFilterFactory } from '../../../../http/http-filter-registry.js';
import type { PerFilterConfigParser } from '../../../../router/per-filter-config.js';
import { CorsFilter, type CorsFilterConfig } from './cors-filter.js';
import { compileCorsPolicy, CORS_TYPE } from './cors-policy.js';

export const corsFactory: HttpFilterFactory = {
  configType: CORS_TYPE,
  names: ['envoy.filters.http.cors', 'envoy.cors'],
  terminal: false,
  create(_config, _path, ctx) {
    // envoy.extensions.filters.http.cors.v3.Cors has no fields: policies come per route.
    const scope = ctx.stats.scope(`http.${ctx.statPrefix}.cors`);
    const cfg: CorsFilterConfig = {
      filterName: ctx.filterName ?? 'envoy.filters.http.cors',
      runtime: ctx.runtime,
      originValid: scope.counter('origin_valid'),
      originInvalid: scope.counter('origin_invalid'),
    };
    return () => {
      const f = new CorsFilter(cfg);
      return { decoder: f, encoder: f };
    };
  },
};

export const parseCorsPolicyPerRoute: PerFilterConfigParser = (value, path) => compileCorsPolicy(value as unknown as CorsPolicy__Output, path);
