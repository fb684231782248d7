import type { Scope } from '../interfaces/stats.js';
import type { ClusterStats } from './cluster-stats.js';
import { HealthChecker } from './health-check/health-checker.js';
import type { HealthCheckConfig } from './health-check/hc-config.js';
import type { Host } from './host.js';
import { OutlierDetector } from './outlier/outlier-detector.js';
import type { OutlierConfig } from './outlier/outlier-config.js';
import type { PrioritySet } from './priority-set.js';

/** What a cluster hands its health components. */
export interface ClusterHealthDeps {
  /** `cluster.<statName>` scope. */
  readonly scope: Scope;
  readonly clusterName: string;
  readonly stats: ClusterStats;
  readonly prioritySet: PrioritySet;
  readonly now: () => number;
  readonly random: () => number;
  /** Health flags changed: recompute healthy hosts and load. */
  readonly refreshHealth: () => void;
}

/** The cluster's outlier detector, following its membership; started at once (sweeps on a timer). */
export function createOutlierDetector(od: OutlierConfig, d: ClusterHealthDeps): OutlierDetector {
  const detector = new OutlierDetector(od, { scope: d.scope, now: d.now, random: d.random, onHostChange: d.refreshHealth });
  d.prioritySet.onHostsChanged((added, removed) => {
    for (const h of removed) detector.removeHost(h);
    for (const h of added) detector.addHost(h);
  });
  detector.start();
  return detector;
}

/** The cluster's active health checker, following its membership; checks start with `start()` (cluster warming). */
export function createHealthChecker(
  hc: HealthCheckConfig,
  d: ClusterHealthDeps,
  onCheckSuccess: (h: Host) => void,
): HealthChecker {
  const checker = new HealthChecker(hc, {
    scope: d.scope,
    clusterName: d.clusterName,
    random: d.random,
    hadTraffic: () => d.stats.upstream_cx_total.value() > 0,
    onHostChange: d.refreshHealth,
    onCheckSuccess,
  });
  d.prioritySet.onHostsChanged((added, removed) => {
    for (const h of removed) checker.removeHost(h);
    for (const h of added) checker.addHost(h);
  });
  return checker;
}
