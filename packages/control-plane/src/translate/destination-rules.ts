import type { DestinationRuleSpec } from '../sources/istio-resource.js';
import { hostMatches, labelsMatch, resolveHost, ROOT_NAMESPACE, visibleIn, type MeshModel, type Policy } from '../model/mesh-model.js';

export type TrafficPolicy = NonNullable<DestinationRuleSpec['trafficPolicy']>;
export type Subset = NonNullable<DestinationRuleSpec['subsets']>[number];
type PortPolicy = NonNullable<TrafficPolicy['portLevelSettings']>[number];

/**
 * The DestinationRule for `host` as seen from a proxy: proxy namespace, then the service's, then the root one;
 * exact hosts before wildcards; within one namespace and host, a rule whose workloadSelector matches the proxy
 * before one without (a selector only applies in its own namespace, as in Istio's outbound config).
 */
export function findDestinationRule(model: MeshModel, host: string, serviceNs: string, proxyNs: string, proxyLabels: Readonly<Record<string, string>> = {}): Policy<DestinationRuleSpec> | undefined {
  const candidates = model.destinationRules.filter((d) => {
    if (!visibleIn(d.exportTo, proxyNs, d.namespace) || !hostMatches(resolveHost(d.spec.host ?? '', d.namespace), host)) return false;
    const selector = d.spec.workloadSelector;
    return selector === undefined || (d.namespace === proxyNs && labelsMatch(selector.matchLabels ?? {}, proxyLabels));
  });
  const rank = (d: Policy<DestinationRuleSpec>): number => {
    const nsRank = d.namespace === proxyNs ? 0 : d.namespace === serviceNs ? 1 : d.namespace === ROOT_NAMESPACE ? 2 : 3;
    const exact = resolveHost(d.spec.host ?? '', d.namespace) === host ? 0 : 1;
    return nsRank * 4 + exact * 2 + (d.spec.workloadSelector ? 0 : 1);
  };
  return candidates.sort((a, b) => rank(a) - rank(b))[0];
}

/** Port-level settings replace the top-level ones field by field (as in Istio). */
function forPort(policy: TrafficPolicy | undefined, port: number): TrafficPolicy | undefined {
  if (!policy) return undefined;
  const p: PortPolicy | undefined = policy.portLevelSettings?.find((s) => s.port?.number === port);
  if (!p) return policy;
  return {
    ...policy,
    ...(p.loadBalancer ? { loadBalancer: p.loadBalancer } : {}),
    ...(p.connectionPool ? { connectionPool: p.connectionPool } : {}),
    ...(p.outlierDetection ? { outlierDetection: p.outlierDetection } : {}),
    ...(p.tls ? { tls: p.tls } : {}),
  };
}

/** The effective policy of a cluster: top-level (port-adjusted), overridden by the subset's (port-adjusted). */
export function effectivePolicy(dr: Policy<DestinationRuleSpec> | undefined, port: number, subset: Subset | undefined): TrafficPolicy | undefined {
  const base = forPort(dr?.spec.trafficPolicy, port);
  const sub = forPort(subset?.trafficPolicy, port);
  if (!sub) return base;
  return {
    ...base,
    ...(sub.loadBalancer ? { loadBalancer: sub.loadBalancer } : {}),
    ...(sub.connectionPool ? { connectionPool: sub.connectionPool } : {}),
    ...(sub.outlierDetection ? { outlierDetection: sub.outlierDetection } : {}),
    ...(sub.tls ? { tls: sub.tls } : {}),
  };
}
