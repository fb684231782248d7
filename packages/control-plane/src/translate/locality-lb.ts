import type { ServiceEndpoint } from '../model/mesh-model.js';
import type { TrafficPolicy } from './destination-rules.js';

type Json = Record<string, unknown>;
export type LocalityLbSetting = NonNullable<NonNullable<TrafficPolicy['loadBalancer']>['localityLbSetting']>;

/** One LocalityLbEndpoints under construction: the model endpoints beside their Envoy lb_endpoints. */
export interface LbGroup {
  readonly locality: string;
  readonly endpoints: ServiceEndpoint[];
  readonly lbEndpoints: Json[];
  weight: number;
  priority: number;
}

/** The asking proxy, as far as locality load balancing cares. */
export interface LocalityContext {
  /** `region/zone/subzone` ('' when unknown). */
  readonly locality: string;
  readonly labels: Readonly<Record<string, string>>;
}

const REGION_LABEL = 'topology.kubernetes.io/region';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SUBZONE_LABEL = 'topology.istio.io/subzone';
const NETWORK_LABEL = 'topology.istio.io/network';

interface Loc {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

function split(l: string): Loc {
  const [region = '', zone = '', subZone = ''] = l.split('/');
  return { region, zone, subZone };
}

/** Istio's LocalityMatch: `*` (or a missing zone / subzone) in the rule matches anything. */
export function localityMatches(l: string, rule: string): boolean {
  const a = split(l);
  const r = split(rule);
  return (r.region === '*' || r.region === a.region) && (r.zone === '*' || r.zone === '' || r.zone === a.zone) && (r.subZone === '*' || r.subZone === '' || r.subZone === a.subZone);
}

/** 0 same subzone, 1 same zone, 2 same region, 3 elsewhere (Istio's LbPriority). */
function localityPriority(proxy: Loc, ep: Loc): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subZone === ep.subZone ? 0 : 1;
}

/** Labels plus the topology labels Istio derives from a locality (and network). */
function withTopology(labels: Readonly<Record<string, string>>, locality: string, network = ''): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  const l = split(locality);
  if (l.region && out[REGION_LABEL] === undefined) out[REGION_LABEL] = l.region;
  if (l.zone && out[ZONE_LABEL] === undefined) out[ZONE_LABEL] = l.zone;
  if (l.subZone && out[SUBZONE_LABEL] === undefined) out[SUBZONE_LABEL] = l.subZone;
  if (network && out[NETWORK_LABEL] === undefined) out[NETWORK_LABEL] = network;
  return out;
}

/** Priorities renumbered 0..N in order, without gaps (Envoy needs contiguous priorities). */
function compact(groups: readonly LbGroup[]): void {
  const distinct = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const rank = new Map(distinct.map((p, i) => [p, i]));
  for (const g of groups) g.priority = rank.get(g.priority) ?? 0;
}

/**
 * `distribute`: the first rule whose `from` matches the proxy sets each matching locality's weight to its share of
 * the rule's percentage (split by the localities' own weights); localities matched by no `to` get no traffic.
 */
function applyDistribute(groups: LbGroup[], proxy: string, distribute: NonNullable<LocalityLbSetting['distribute']>): LbGroup[] {
  const rule = distribute.find((d) => localityMatches(proxy, d.from ?? ''));
  if (!rule) return groups;
  const unmatched = new Set(groups);
  for (const [to, percent] of Object.entries(rule.to ?? {})) {
    const matched = groups.filter((g) => unmatched.has(g) && localityMatches(g.locality, to));
    const total = matched.reduce((s, g) => s + g.weight, 0);
    for (const g of matched) {
      unmatched.delete(g);
      if (total > 0 && percent > 0) g.weight = Math.ceil((g.weight * percent) / total);
    }
  }
  return groups.filter((g) => !unmatched.has(g));
}

/** Region/zone/subzone priorities relative to the proxy, with `failover` redirecting a region's spill-over. */
function applyFailover(groups: LbGroup[], proxy: string, failover: LocalityLbSetting['failover']): void {
  const p = split(proxy);
  const rule = (failover ?? []).find((f) => f.from === p.region);
  for (const g of groups) {
    const ep = split(g.locality);
    let prio = localityPriority(p, ep);
    if (prio === 3 && rule && ep.region !== rule.to) prio = 4;
    // Up to 5 locality levels under each failoverPriority level.
    g.priority = g.priority * 5 + prio;
  }
  compact(groups);
}

/** `failoverPriority`: splits each locality by how many leading labels its endpoints share with the proxy. */
function applyFailoverPriority(groups: LbGroup[], proxy: LocalityContext, failoverPriority: readonly string[]): LbGroup[] {
  const proxyLabels = withTopology(proxy.labels, proxy.locality);
  if (Object.keys(proxyLabels).length === 0) return groups;
  const keys = failoverPriority.map((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? { key: l, value: proxyLabels[l] } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
  });
  const out: LbGroup[] = [];
  for (const g of groups) {
    const byPriority = new Map<number, LbGroup>();
    g.endpoints.forEach((e, i) => {
      const labels = withTopology(e.labels, e.locality, e.network);
      const miss = keys.findIndex((k) => k.value !== labels[k.key]);
      const prio = miss < 0 ? 0 : keys.length - miss;
      let sub = byPriority.get(prio);
      if (!sub) byPriority.set(prio, (sub = { locality: g.locality, endpoints: [], lbEndpoints: [], weight: 0, priority: prio }));
      sub.endpoints.push(e);
      sub.lbEndpoints.push(g.lbEndpoints[i] as Json);
      sub.weight += e.weight;
    });
    out.push(...[...byPriority.values()].sort((a, b) => a.priority - b.priority));
  }
  compact(out);
  return out;
}

/**
 * Istio's locality load balancing for one proxy (no setting = the mesh default, enabled): `distribute` weights, or
 * failover priorities (region/zone/subzone, `failover`, `failoverPriority`) — the latter only with outlier detection,
 * since without it Envoy would never leave priority 0.
 */
export function applyLocalityLb(groups: LbGroup[], proxy: LocalityContext, setting: LocalityLbSetting | undefined, outlierDetection: boolean, allowLabels = true): LbGroup[] {
  if (setting?.enabled === false) return groups;
  if (setting?.distribute?.length) return applyDistribute(groups, proxy.locality, setting.distribute);
  if (!outlierDetection) return groups;
  let out = groups;
  const fp = allowLabels ? (setting?.failoverPriority ?? []) : [];
  if (fp.length > 0) {
    out = applyFailoverPriority(out, proxy, fp);
    if (setting?.failover?.length) applyFailover(out, proxy.locality, setting.failover);
  } else {
    applyFailover(out, proxy.locality, setting?.failover);
  }
  return out;
}

/** Whether the cluster weights localities (Istio: with `distribute`, or explicit failover settings under outlier detection). */
export function usesLocalityWeights(setting: LocalityLbSetting | undefined, outlierDetection: boolean): boolean {
  if (!setting || setting.enabled === false) return false;
  if (setting.distribute?.length) return true;
  return outlierDetection && (!!setting.failover?.length || !!setting.failoverPriority?.length);
}
