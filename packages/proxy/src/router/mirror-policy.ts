import { ConfigError, joinPath } from '@weft/api/lite';
import type { _envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output as MirrorPolicy__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteAction.js';
import { compileRuntimeFraction, type RuntimeFraction } from './route-matchers.js';

/** One `request_mirror_policies` entry: where a copy of the request goes, and how often. */
export interface MirrorPolicy {
  /** Static cluster name; '' when it comes from `clusterHeader`. */
  readonly cluster: string;
  readonly clusterHeader: string;
  /** undefined: every request is mirrored. */
  readonly fraction: RuntimeFraction | undefined;
  readonly appendShadowSuffix: boolean;
}

export function compileMirrorPolicies(list: readonly MirrorPolicy__Output[], path: string, clusterRefs?: Array<[string, string]>): readonly MirrorPolicy[] {
  return list.map((m, i) => {
    const p = joinPath(path, i);
    if ((m.cluster === '') === (m.cluster_header === '')) throw new ConfigError(p, 'exactly one of cluster and cluster_header is required');
    if (m.trace_sampled) throw new ConfigError(joinPath(p, 'trace_sampled'), 'is not supported yet (no tracing)');
    if (m.cluster !== '') clusterRefs?.push([m.cluster, joinPath(p, 'cluster')]);
    return {
      cluster: m.cluster,
      clusterHeader: m.cluster_header.toLowerCase(),
      fraction: m.runtime_fraction ? compileRuntimeFraction(m.runtime_fraction, joinPath(p, 'runtime_fraction')) : undefined,
      appendShadowSuffix: !m.disable_shadow_host_suffix_append,
    };
  });
}

/** Envoy's shadow host: `-shadow` appended to the host part of the authority (before any port). */
export function shadowAuthority(authority: string): string {
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > bracket && colon !== -1) return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  return `${authority}-shadow`;
}
