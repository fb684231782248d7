import { ConfigError } from '@weft/api/lite';
import type { ListenerFilterFactory } from '../../../../network/listener-filter-registry.js';
import { ORIGINAL_DST_FILTER_NAME, ORIGINAL_DST_FILTER_TYPE, OriginalDstFilter, originalDstUnavailable } from '../../../../network/original-dst.js';

/** `envoy.filters.listener.original_dst` (its config message has no fields). */
export const originalDstFactory: ListenerFilterFactory = {
  configType: ORIGINAL_DST_FILTER_TYPE,
  names: [ORIGINAL_DST_FILTER_NAME, 'envoy.listener.original_dst', 'original_dst'],
  create(_config, path) {
    const why = originalDstUnavailable();
    if (why !== undefined) throw new ConfigError(path, why);
    return ORIGINAL_DST_FILTER;
  },
};

const ORIGINAL_DST_FILTER = new OriginalDstFilter();
