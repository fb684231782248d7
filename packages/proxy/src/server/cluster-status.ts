import type { ClusterManager } from '../upstream/cluster-manager.js';
import { healthFlagsToString } from '../upstream/host.js';

/** Per-host numbers shown by /clusters; summed across workers. */
export interface HostStatus {
  readonly address: string;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
  readonly healthy: boolean;
  /** Envoy's health flags text (`healthy`, `/failed_active_hc/failed_outlier_check`, …). */
  readonly healthFlags: string;
  /** Outlier detection success rates of the last interval (-1: not computed). */
  readonly successRate: number;
  readonly localOriginSuccessRate: number;
  readonly stats: Record<string, number>;
}

export interface ClusterStatus {
  readonly name: string;
  readonly hosts: HostStatus[];
  /** With outlier detection: the last sweep's success-rate mean and ejection threshold (external, local origin). */
  readonly outlier?: { readonly average: number[]; readonly threshold: number[] } | undefined;
}

export function collectClusterStatus(cm: ClusterManager): ClusterStatus[] {
  const out: ClusterStatus[] = [];
  for (const cluster of cm.all()) {
    const od = cluster.outlierDetector;
    out.push({
      name: cluster.name,
      outlier: od ? { average: [...od.successRateAverage], threshold: [...od.successRateEjectionThreshold] } : undefined,
      hosts: cluster.hosts().map((h) => ({
        address: h.key,
        hostname: h.hostname,
        weight: h.weight,
        priority: h.priority,
        region: h.locality.region,
        zone: h.locality.zone,
        subZone: h.locality.subZone,
        healthy: h.healthy,
        healthFlags: healthFlagsToString(h.healthFlags),
        successRate: h.outlier.successRate,
        localOriginSuccessRate: h.outlier.localOriginSuccessRate,
        stats: { ...h.stats } as unknown as Record<string, number>,
      })),
    });
  }
  return out;
}

/** Sums host stats of the same cluster/host reported by several workers. */
export function mergeClusterStatus(parts: ClusterStatus[][]): ClusterStatus[] {
  const byName = new Map<string, { name: string; outlier: ClusterStatus['outlier']; hosts: Map<string, HostStatus> }>();
  for (const part of parts) {
    for (const c of part) {
      let entry = byName.get(c.name);
      if (!entry) {
        entry = { name: c.name, outlier: c.outlier, hosts: new Map() };
        byName.set(c.name, entry);
      }
      for (const h of c.hosts) {
        const prev = entry.hosts.get(h.address);
        if (!prev) {
          entry.hosts.set(h.address, { ...h, stats: { ...h.stats } });
          continue;
        }
        // Each worker health-checks and outlier-detects on its own: a host failed in any worker shows failed.
        if (h.healthFlags !== 'healthy') {
          const flags = new Set([...prev.healthFlags.split('/'), ...h.healthFlags.split('/')].filter((f) => f !== '' && f !== 'healthy'));
          entry.hosts.set(h.address, { ...prev, healthy: prev.healthy && h.healthy, healthFlags: '/' + [...flags].join('/') });
        }
        for (const [k, v] of Object.entries(h.stats)) prev.stats[k] = (prev.stats[k] ?? 0) + v;
      }
    }
  }
  return [...byName.values()].map((c) => ({ name: c.name, outlier: c.outlier, hosts: [...c.hosts.values()] }));
}

/** Envoy's text format: `cluster::host::stat::value`. */
export function formatClustersText(clusters: ClusterStatus[]): string {
  const lines: string[] = [];
  for (const c of clusters) {
    lines.push(`${c.name}::observability_name::${c.name}`);
    if (c.outlier) {
      lines.push(`${c.name}::outlier::success_rate_average::${c.outlier.average[0] ?? -1}`);
      lines.push(`${c.name}::outlier::success_rate_ejection_threshold::${c.outlier.threshold[0] ?? -1}`);
      lines.push(`${c.name}::outlier::local_origin_success_rate_average::${c.outlier.average[1] ?? -1}`);
      lines.push(`${c.name}::outlier::local_origin_success_rate_ejection_threshold::${c.outlier.threshold[1] ?? -1}`);
    }
    for (const h of c.hosts) {
      const p = `${c.name}::${h.address}`;
      for (const [k, v] of Object.entries(h.stats)) lines.push(`${p}::${k}::${v}`);
      lines.push(`${p}::hostname::${h.hostname}`);
      lines.push(`${p}::health_flags::${h.healthFlags}`);
      lines.push(`${p}::weight::${h.weight}`);
      lines.push(`${p}::region::${h.region}`);
      lines.push(`${p}::zone::${h.zone}`);
      lines.push(`${p}::sub_zone::${h.subZone}`);
      lines.push(`${p}::canary::false`);
      lines.push(`${p}::priority::${h.priority}`);
      lines.push(`${p}::success_rate::${h.successRate}`);
      lines.push(`${p}::local_origin_success_rate::${h.localOriginSuccessRate}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Envoy's JSON format (`/clusters?format=json`). */
export function formatClustersJson(clusters: ClusterStatus[]): Record<string, unknown> {
  return {
    cluster_statuses: clusters.map((c) => ({
      name: c.name,
      host_statuses: c.hosts.map((h) => {
        const [ip, port] = splitHostPort(h.address);
        return {
          address: { socket_address: { address: ip, port_value: port } },
          stats: Object.entries(h.stats).map(([name, value]) => ({ name, value: String(value), type: name.endsWith('active') ? 'GAUGE' : 'COUNTER' })),
          health_status: jsonHealthStatus(h.healthFlags),
          weight: h.weight,
          hostname: h.hostname,
          priority: h.priority,
          locality: { region: h.region, zone: h.zone, sub_zone: h.subZone },
        };
      }),
    })),
  };
}

function splitHostPort(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  const host = key.slice(0, i).replace(/^\[|\]$/g, '');
  return [host, Number(key.slice(i + 1))];
}

/** Envoy's HostHealthStatus: one boolean per failure flag, plus the EDS status. */
function jsonHealthStatus(flags: string): Record<string, unknown> {
  const set = new Set(flags.split('/'));
  const out: Record<string, unknown> = {};
  if (set.has('failed_active_hc')) out['failed_active_health_check'] = true;
  if (set.has('failed_outlier_check')) out['failed_outlier_check'] = true;
  if (set.has('degraded_active_hc')) out['failed_active_degraded_check'] = true;
  if (set.has('pending_dynamic_removal')) out['pending_dynamic_removal'] = true;
  if (set.has('pending_active_hc')) out['pending_active_hc'] = true;
  if (set.has('excluded_via_immediate_hc_fail')) out['excluded_via_immediate_hc_fail'] = true;
  if (set.has('active_hc_timeout')) out['active_hc_timeout'] = true;
  out['eds_health_status'] = set.has('failed_eds_health') ? 'UNHEALTHY' : set.has('degraded_eds_health') ? 'DEGRADED' : 'HEALTHY';
  return out;
}
