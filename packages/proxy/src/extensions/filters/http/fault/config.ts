import type { HTTPFault__Output } from '@weft/api/envoy/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
import type { HttpFilterFactory } from '../../../../http/http-filter-registry.js';
import type { PerFilterConfigParser } from '../../../../router/per-filter-config.js';
import { createFaultStats, FaultFilter, type FaultFilterConfig } from './fault-filter.js';
import { compileFaultSettings, FAULT_TYPE } from './fault-settings.js';

export const faultFactory: HttpFilterFactory = {
  configType: FAULT_TYPE,
  names: ['envoy.filters.http.fault', 'envoy.fault'],
  terminal: false,
  create(config, path, ctx) {
    const cfg: FaultFilterConfig = {
      settings: compileFaultSettings(config as HTTPFault__Output, path),
      filterName: ctx.filterName ?? 'envoy.filters.http.fault',
      stats: createFaultStats(ctx.stats, ctx.statPrefix),
      runtime: ctx.runtime,
      deadlines: ctx.deadlines,
    };
    return () => ({ decoder: new FaultFilter(cfg) });
  },
};

/** Per-route override: a whole HTTPFault replacing the filter's settings. */
export const parseFaultPerRoute: PerFilterConfigParser = (value, path) => compileFaultSettings(value as unknown as HTTPFault__Output, path);
