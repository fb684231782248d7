import { ConfigError, joinPath } from '@weft/api/lite';
import type { Router__Output } from '@weft/api/envoy/envoy/extensions/filters/http/router/v3/Router.js';
import type { HttpFilterFactory, HttpFilterFactoryContext } from '../../../../http/http-filter-registry.js';
import { createHcmStats, type HcmStats } from '../../../../http/hcm-stats.js';
import { RouterFilter } from './router-filter.js';

export interface RouterConfig {
  readonly suppressEnvoyHeaders: boolean;
  /** Request body bytes buffered while the upstream connection is being set up before reading pauses. */
  readonly bufferLimitBytes: number;
  readonly hcmStats: HcmStats;
  readonly ctx: HttpFilterFactoryContext;
}

export function parseRouterConfig(cfg: Router__Output, path: string, ctx: HttpFilterFactoryContext): RouterConfig {
  const unsupported: Array<[string, boolean]> = [
    ['upstream_log', cfg.upstream_log.length > 0],
    ['upstream_log_options', !!cfg.upstream_log_options],
    ['strict_check_headers', cfg.strict_check_headers.length > 0],
    ['upstream_http_filters', cfg.upstream_http_filters.length > 0],
    ['start_child_span', cfg.start_child_span],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
  return {
    suppressEnvoyHeaders: cfg.suppress_envoy_headers,
    bufferLimitBytes: 1024 * 1024,
    hcmStats: createHcmStats(ctx.stats, ctx.statPrefix),
    ctx,
  };
}

export const routerFactory: HttpFilterFactory = {
  configType: 'envoy.extensions.filters.http.router.v3.Router',
  names: ['envoy.filters.http.router', 'envoy.router'],
  terminal: true,
  create(config, path, ctx) {
    const parsed = parseRouterConfig(config as Router__Output, path, ctx);
    return () => ({ decoder: new RouterFilter(parsed) });
  },
};
