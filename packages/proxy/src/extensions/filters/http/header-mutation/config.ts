import type { HeaderMutation__Output } from '@weft/api/envoy/envoy/extensions/filters/http/header_mutation/v3/HeaderMutation.js';
import type { HeaderMutationPerRoute__Output } from '@weft/api/envoy/envoy/extensions/filters/http/header_mutation/v3/HeaderMutationPerRoute.js';
import { joinPath } from '@weft/api/lite';
import type { HttpFilterFactory } from '../../../../http/http-filter-registry.js';
import type { PerFilterConfigParser } from '../../../../router/per-filter-config.js';
import { HeaderMutationFilter, type HeaderMutationFilterConfig } from './header-mutation-filter.js';
import { compileMutations, HEADER_MUTATION_TYPE, HeaderMutationPerRoute } from './mutations.js';

export const headerMutationFactory: HttpFilterFactory = {
  configType: HEADER_MUTATION_TYPE,
  names: ['envoy.filters.http.header_mutation'],
  terminal: false,
  create(config, path, ctx) {
    const c = config as HeaderMutation__Output;
    const cfg: HeaderMutationFilterConfig = {
      mutations: compileMutations(c.mutations, joinPath(path, 'mutations')),
      mostSpecificWins: c.most_specific_header_mutations_wins,
      filterName: ctx.filterName ?? 'envoy.filters.http.header_mutation',
      hostname: ctx.hostname,
    };
    return () => {
      const f = new HeaderMutationFilter(cfg);
      return { decoder: f, encoder: f };
    };
  },
};

export const parseHeaderMutationPerRoute: PerFilterConfigParser = (value, path) =>
  new HeaderMutationPerRoute(compileMutations((value as unknown as HeaderMutationPerRoute__Output).mutations, joinPath(path, 'mutations')));
