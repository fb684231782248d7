import { ConfigError, joinPath } from '@weft/api/lite';
import type { Cluster__Output } from './envoy-types.js';
import type { Counter, Gauge } from '../interfaces/stats.js';
import type { Cluster, ClusterDeps } from './cluster.js';
import { createCluster } from './cluster-factory.js';

/** All clusters by name (Envoy's ClusterManager for static clusters; CDS adds/removes later). */
export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  private readonly clusterAdded: Counter;
  private readonly clusterRemoved: Counter;
  private readonly clusterModified: Counter;
  private readonly activeClusters: Gauge;

  constructor(deps: ClusterDeps) {
    const scope = deps.scope.scope('cluster_manager');
    this.clusterAdded = scope.counter('cluster_added');
    this.clusterRemoved = scope.counter('cluster_removed');
    this.clusterModified = scope.counter('cluster_modified');
    this.activeClusters = scope.gauge('active_clusters', 'never');
  }

  /**
   * Builds every cluster of `static_resources.clusters` (path e.g. `static_resources.clusters`). Nothing is kept
   * when one is invalid: the clusters built so far are closed and the ConfigError is thrown.
   */
  static fromConfig(clusters: readonly Cluster__Output[], path: string, deps: ClusterDeps): ClusterManager {
    const cm = new ClusterManager(deps);
    try {
      clusters.forEach((c, i) => cm.add(createCluster(c, joinPath(path, i), deps), joinPath(joinPath(path, i), 'name')));
    } catch (err) {
      cm.close();
      throw err;
    }
    return cm;
  }

  /** Adds a cluster; a duplicate name is a ConfigError at `path`. */
  add(cluster: Cluster, path = 'name'): void {
    if (this.clusters.has(cluster.name)) {
      cluster.close();
      throw new ConfigError(path, `cluster manager: duplicate cluster '${cluster.name}'`);
    }
    this.clusters.set(cluster.name, cluster);
    this.clusterAdded.inc();
    this.activeClusters.set(this.clusters.size);
  }

  /** Removes and closes a cluster (requests in flight on its connections are cut). */
  remove(name: string): boolean {
    const c = this.clusters.get(name);
    if (c === undefined) return false;
    this.clusters.delete(name);
    c.close();
    this.clusterRemoved.inc();
    this.activeClusters.set(this.clusters.size);
    return true;
  }

  /**
   * CDS: puts a (warmed) cluster in place of the one with its name, if any. The replaced cluster takes no new
   * requests and closes once its requests in flight have finished (at most `drainMs`).
   */
  addOrUpdate(cluster: Cluster, drainMs: number): void {
    const old = this.clusters.get(cluster.name);
    this.clusters.set(cluster.name, cluster);
    if (old === undefined) {
      this.clusterAdded.inc();
      this.activeClusters.set(this.clusters.size);
    } else {
      this.clusterModified.inc();
      old.closeWhenIdle(drainMs);
    }
  }

  /** CDS removal: the cluster takes no new requests and closes once its requests in flight have finished. */
  removeWhenIdle(name: string, drainMs: number): void {
    const c = this.clusters.get(name);
    if (c === undefined) return;
    this.clusters.delete(name);
    c.closeWhenIdle(drainMs);
    this.clusterRemoved.inc();
    this.activeClusters.set(this.clusters.size);
  }

  /**
   * `cluster_manager.local_cluster_name`: the cluster of this proxy's own service (zone-aware routing). Throws a
   * ConfigError at `path` when it names no cluster, as Envoy does.
   */
  setLocalCluster(name: string, path = 'cluster_manager.local_cluster_name'): void {
    if (name === '') return;
    const local = this.clusters.get(name);
    if (local === undefined) throw new ConfigError(path, `local cluster '${name}' must be defined`);
    for (const c of this.clusters.values()) c.setLocalCluster(local);
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  all(): readonly Cluster[] {
    return [...this.clusters.values()];
  }

  /** Starts every cluster and waits for those with `wait_for_warm_on_init` (default) to finish warming. */
  async initializeAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of this.clusters.values()) {
      const p = c.initialize();
      if (c.config.waitForWarmOnInit) waits.push(p);
    }
    await Promise.all(waits);
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
    this.activeClusters.set(0);
  }
}
