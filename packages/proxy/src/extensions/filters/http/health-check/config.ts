import { ConfigError, joinPath } from '@weft/api/lite';
import type { HealthCheck__Output } from '@weft/api/envoy/envoy/extensions/filters/http/health_check/v3/HealthCheck.js';
import type { HttpFilterFactory } from '../../../../http/http-filter-registry.js';
import { compileHeaderMatcher } from '../../../../router/route-matchers.js';
import { durationMs } from '../../../../server/duration.js';
import { HealthCheckCache, HealthCheckFilter, type HealthCheckFilterConfig } from './health-check-filter.js';

export const healthCheckFactory: HttpFilterFactory = {
  configType: 'envoy.extensions.filters.http.health_check.v3.HealthCheck',
  names: ['envoy.filters.http.health_check', 'envoy.health_check'],
  terminal: false,
  create(config, path, ctx) {
    const c = config as HealthCheck__Output;
    if (Object.keys(c.cluster_min_healthy_percentages).length > 0) {
      throw new ConfigError(joinPath(path, 'cluster_min_healthy_percentages'), 'is not supported yet');
    }
    if (!c.pass_through_mode) throw new ConfigError(joinPath(path, 'pass_through_mode'), 'is required');
    const passThrough = c.pass_through_mode.value;
    const cacheMs = durationMs(c.cache_time, 0);
    // Envoy: the cache only applies in pass-through mode.
    if (cacheMs > 0 && !passThrough) throw new ConfigError(joinPath(path, 'cache_time'), 'requires pass_through_mode: true');
    const cfg: HealthCheckFilterConfig = {
      passThrough,
      headers: c.headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(path, 'headers'), i))),
      drain: ctx.drainState,
      localClusterName: ctx.localClusterName ?? '',
      cache: cacheMs > 0 ? new HealthCheckCache(cacheMs) : undefined,
    };
    return () => {
      const f = new HealthCheckFilter(cfg);
      return { decoder: f, encoder: f };
    };
  },
};
