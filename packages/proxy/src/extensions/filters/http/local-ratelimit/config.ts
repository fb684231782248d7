import type { LocalRateLimit__Output } from '@weft/api/envoy/envoy/extensions/filters/http/local_ratelimit/v3/LocalRateLimit.js';
import type { HttpFilterFactory } from '../../../../http/http-filter-registry.js';
import type { PerFilterConfigParser } from '../../../../router/per-filter-config.js';
import { compileLocalRateLimit, LOCAL_RATELIMIT_TYPE } from './local-ratelimit-config.js';
import { LocalRateLimitFilter, type LocalRateLimitFilterConfig } from './local-ratelimit-filter.js';
import { StatsStore } from '../../../../observability/stats-store.js';

export const localRateLimitFactory: HttpFilterFactory = {
  configType: LOCAL_RATELIMIT_TYPE,
  names: ['envoy.filters.http.local_ratelimit'],
  terminal: false,
  create(config, path, ctx) {
    const fc: LocalRateLimitFilterConfig = {
      config: compileLocalRateLimit(config as LocalRateLimit__Output, path, ctx.stats),
      filterName: ctx.filterName ?? 'envoy.filters.http.local_ratelimit',
      runtime: ctx.runtime,
      hostname: ctx.hostname,
    };
    return () => {
      const f = new LocalRateLimitFilter(fc);
      return { decoder: f, encoder: f };
    };
  },
};

/** A route's LocalRateLimit: a bucket (and stats) of its own. */
export const parseLocalRateLimitPerRoute: PerFilterConfigParser = (value, path, ctx) =>
  compileLocalRateLimit(value as unknown as LocalRateLimit__Output, path, ctx.stats ?? new StatsStore());
