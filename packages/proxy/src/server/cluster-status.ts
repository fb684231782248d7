import type { ClusterManager } from '../upstream/cluster-manager.js';

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
  readonly stats: Record<string, number>;
}

export interface ClusterStatus {
  readonly name: string;
  readonly hosts: HostStatus[];
}

export function collectClusterStatus(cm: ClusterManager): ClusterStatus[] {
  const out: ClusterStatus[] = [];
  for (const cluster of cm.all()) {
    out.push({
      name: cluster.name,
      hosts: cluster.hosts().map((h) => ({
        address: h.key,
        hostname: h.hostname,
        weight: h.weight,
        priority: h.priority,
        region: h.locality.region,
        zone: h.locality.zone,
        subZone: h.locality.subZone,
        healthy: h.healthy,
        stats: { ...h.stats } as unknown as Record<string, number>,
      })),
    });
  }
  return out;
}

/** Sums host stats of the same cluster/host reported by several workers. */
export function mergeClusterStatus(parts: ClusterStatus[][]): ClusterStatus[] {
  const byName = new Map<string, { name: string; hosts: Map<string, HostStatus> }>();
  for (const part of parts) {
    for (const c of part) {
      let entry = byName.get(c.name);
      if (!entry) {
        entry = { name: c.name, hosts: new Map() };
        byName.set(c.name, entry);
      }
      for (const h of c.hosts) {
        const prev = entry.hosts.get(h.address);
        if (!prev) {
          entry.hosts.set(h.address, { ...h, stats: { ...h.stats } });
          continue;
        }
        for (const [k, v] of Object.entries(h.stats)) prev.stats[k] = (prev.stats[k] ?? 0) + v;
      }
    }
  }
  return [...byName.values()].map((c) => ({ name: c.name, hosts: [...c.hosts.values()] }));
}

/** Envoy's text format: `cluster::host::stat::value`. */
export function formatClustersText(clusters: ClusterStatus[]): string {
  const lines: string[] = [];
  for (const c of clusters) {
    lines.push(`${c.name}::observability_name::${c.name}`);
    for (const h of c.hosts) {
      const p = `${c.name}::${h.address}`;
      for (const [k, v] of Object.entries(h.stats)) lines.push(`${p}::${k}::${v}`);
      lines.push(`${p}::hostname::${h.hostname}`);
      lines.push(`${p}::health_flags::${h.healthy ? 'healthy' : '/failed_eds_health'}`);
      lines.push(`${p}::weight::${h.weight}`);
      lines.push(`${p}::region::${h.region}`);
      lines.push(`${p}::zone::${h.zone}`);
      lines.push(`${p}::sub_zone::${h.subZone}`);
      lines.push(`${p}::canary::false`);
      lines.push(`${p}::priority::${h.priority}`);
      lines.push(`${p}::success_rate::-1`);
      lines.push(`${p}::local_origin_success_rate::-1`);
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
          health_status: { eds_health_status: h.healthy ? 'HEALTHY' : 'UNHEALTHY' },
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
