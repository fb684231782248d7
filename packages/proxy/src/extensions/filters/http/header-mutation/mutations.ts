import { ConfigError, joinPath } from '@weft/api/lite';
import type { HeaderMutation__Output as MutationRule__Output } from '@weft/api/envoy/envoy/config/common/mutation_rules/v3/HeaderMutation.js';
import type { Mutations__Output } from '@weft/api/envoy/envoy/extensions/filters/http/header_mutation/v3/Mutations.js';
import type { HeaderMap } from '../../../../interfaces/header-map.js';
import type { HeaderFormatContext } from '../../../../router/header-formatter.js';
import { compileHeaderMutation, compileHeaderToAdd, HeaderMutation } from '../../../../router/header-mutation.js';

export const HEADER_MUTATION_TYPE = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
export const HEADER_MUTATION_PER_ROUTE_TYPE = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';

/**
 * A list of config.common.mutation_rules.v3.HeaderMutation applied in order. Each step is a one-entry router
 * HeaderMutation (same validation and command-operator formatting as route-level header mutations).
 */
export class MutationList {
  constructor(private readonly steps: readonly HeaderMutation[]) {}

  get isEmpty(): boolean {
    return this.steps.length === 0;
  }

  apply(headers: HeaderMap, ctx: HeaderFormatContext): void {
    for (const s of this.steps) s.apply(headers, ctx);
  }
}

function compileRules(rules: readonly MutationRule__Output[], path: string): MutationList {
  return new MutationList(
    rules.map((r, i) => {
      const p = joinPath(path, i);
      if (r.action === 'remove') return compileHeaderMutation([], [r.remove ?? ''], '', joinPath(p, 'remove'));
      if (r.action === 'append' && r.append) return new HeaderMutation([compileHeaderToAdd(r.append, joinPath(p, 'append'))], []);
      throw new ConfigError(p, 'one of remove or append is required');
    }),
  );
}

/** request_mutations / response_mutations of one level. */
export class Mutations {
  constructor(
    readonly request: MutationList,
    readonly response: MutationList,
  ) {}
}

/** Per-route config (HeaderMutationPerRoute). */
export class HeaderMutationPerRoute {
  constructor(readonly mutations: Mutations) {}
}

export function compileMutations(m: Mutations__Output | null, path: string): Mutations {
  if (!m) return new Mutations(new MutationList([]), new MutationList([]));
  return new Mutations(compileRules(m.request_mutations, joinPath(path, 'request_mutations')), compileRules(m.response_mutations, joinPath(path, 'response_mutations')));
}
