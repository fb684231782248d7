import { ConfigError, joinPath } from '@weft/api/lite';
import type { Cluster__Output, ClusterLoadAssignment__Output } from '../../upstream/envoy-types.js';
import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import type { Cluster, ClusterDeps } from '../../upstream/cluster.js';
import { createCluster } from '../../upstream/cluster-factory.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import { parseLoadAssignment, type LoadAssignment } from '../../upstream/endpoints.js';
import { optDurationMs } from '../../upstream/config-util.js';
import { logger } from '../../server/logger.js';
import { DEFAULT_INITIAL_FETCH_TIMEOUT_MS } from './ads-config.js';
import { versionHash } from './version-hash.js';
import type { XdsUpdate } from './xds-types.js';

/** A CDS cluster as accepted: its source message, for /config_dump and change detection. */
interface DynamicCluster {
  readonly source: Cluster__Output;
  readonly hash: string;
  readonly version: string;
  readonly lastUpdated: string;
}

interface WarmingCluster extends DynamicCluster {
  readonly cluster: Cluster;
  timer: NodeJS.Timeout | undefined;
}

interface AcceptedEndpoints {
  readonly assignment: LoadAssignment;
  readonly resource: ClusterLoadAssignment__Output;
  readonly version: string;
  readonly lastUpdated: string;
}

export interface CdsDeps {
  readonly clusterManager: ClusterManager;
  readonly clusterDeps: ClusterDeps;
  readonly scope: Scope;
  /** How long a replaced or removed cluster may finish its requests. */
  readonly drainMs: number;
  /** Names of bootstrap clusters (CDS may not replace them). */
  readonly staticNames: ReadonlySet<string>;
  /** Called when warming clusters were promoted (initialization progress). */
  readonly onChange: () => void;
}

/**
 * CDS and EDS: builds new and changed clusters, warms them (EDS clusters until their ClusterLoadAssignment arrives,
 * or `initial_fetch_timeout`), then swaps them in; replaced and removed clusters finish their requests first.
 */
export class CdsManager {
  readonly active = new Map<string, DynamicCluster>();
  readonly warming = new Map<string, WarmingCluster>();
  private readonly endpoints = new Map<string, AcceptedEndpoints>();
  private readonly updateAttempt: Counter;
  private readonly updateSuccess: Counter;
  private readonly updateRejected: Counter;
  private readonly version: Gauge;
  private readonly warmingGauge: Gauge;
  private readonly edsAttempt: Counter;
  private readonly edsRejected: Counter;
  private closed = false;

  constructor(private readonly deps: CdsDeps) {
    const cds = deps.scope.scope('cluster_manager.cds');
    this.updateAttempt = cds.counter('update_attempt');
    this.updateSuccess = cds.counter('update_success');
    this.updateRejected = cds.counter('update_rejected');
    this.version = cds.gauge('version', 'never');
    this.warmingGauge = deps.scope.scope('cluster_manager').gauge('warming_clusters', 'never');
    const eds = deps.scope.scope('cluster_manager.eds');
    this.edsAttempt = eds.counter('update_attempt');
    this.edsRejected = eds.counter('update_rejected');
  }

  applyClusters(update: XdsUpdate): void {
    this.updateAttempt.inc();
    const built: WarmingCluster[] = [];
    const lastUpdated = new Date().toISOString();
    try {
      for (const r of update.upserts) {
        const source = r.resource as Cluster__Output;
        const path = `cluster[${JSON.stringify(r.name)}]`;
        if (this.deps.staticNames.has(r.name)) throw new ConfigError(joinPath(path, 'name'), `'${r.name}' is a static cluster`);
        const hash = JSON.stringify(source);
        if ((this.warming.get(r.name) ?? this.active.get(r.name))?.hash === hash) continue;
        const cluster = createCluster(source, path, { ...this.deps.clusterDeps, allowEds: true });
        built.push({ cluster, source, hash, version: update.version || r.version, lastUpdated, timer: undefined });
      }
    } catch (err) {
      for (const w of built) w.cluster.close();
      this.updateRejected.inc();
      throw err;
    }
    for (const name of update.removes) {
      const w = this.warming.get(name);
      if (w) this.dropWarming(w);
      if (this.active.delete(name)) this.deps.clusterManager.removeWhenIdle(name, this.deps.drainMs);
    }
    for (const w of built) this.warm(w);
    this.updateSuccess.inc();
    this.version.set(versionHash(update.version));
    this.warmingGauge.set(this.warming.size);
    this.deps.onChange();
  }

  applyEndpoints(update: XdsUpdate): void {
    this.edsAttempt.inc();
    const staged: Array<[string, AcceptedEndpoints]> = [];
    const lastUpdated = new Date().toISOString();
    try {
      for (const r of update.upserts) {
        const resource = r.resource as ClusterLoadAssignment__Output;
        const assignment = parseLoadAssignment(resource, `cluster_load_assignment[${JSON.stringify(r.name)}]`, true);
        staged.push([r.name, { assignment, resource, version: update.version || r.version, lastUpdated }]);
      }
    } catch (err) {
      this.edsRejected.inc();
      throw err;
    }
    for (const n of update.removes) this.endpoints.delete(n);
    for (const [name, accepted] of staged) {
      this.endpoints.set(name, accepted);
      for (const c of this.deps.clusterManager.all()) if (c.config.edsServiceName === name) c.applyLoadAssignment(accepted.assignment);
      for (const w of this.warming.values()) if (w.cluster.config.edsServiceName === name) w.cluster.applyLoadAssignment(accepted.assignment);
    }
  }

  /** EDS service names of the active and warming EDS clusters. */
  edsNames(): string[] {
    const names = new Set<string>();
    for (const c of this.deps.clusterManager.all()) if (c.config.edsServiceName) names.add(c.config.edsServiceName);
    for (const w of this.warming.values()) if (w.cluster.config.edsServiceName) names.add(w.cluster.config.edsServiceName);
    return [...names];
  }

  dump(): Record<string, unknown> {
    return {
      version_info: '',
      dynamic_active_clusters: [...this.active.values()].map((c) => ({ version_info: c.version, cluster: c.source, last_updated: c.lastUpdated })),
      dynamic_warming_clusters: [...this.warming.values()].map((c) => ({ version_info: c.version, cluster: c.source, last_updated: c.lastUpdated })),
    };
  }

  endpointsDump(): Array<Record<string, unknown>> {
    return [...this.endpoints.values()].map((e) => ({ version_info: e.version, endpoint_config: e.resource, last_updated: e.lastUpdated }));
  }

  close(): void {
    this.closed = true;
    for (const w of this.warming.values()) this.dropWarming(w);
  }

  private warm(w: WarmingCluster): void {
    const prev = this.warming.get(w.source.name);
    if (prev) this.dropWarming(prev);
    this.warming.set(w.source.name, w);
    const svc = w.cluster.config.edsServiceName;
    if (svc !== undefined) {
      const known = this.endpoints.get(svc);
      if (known) w.cluster.applyLoadAssignment(known.assignment);
      else {
        const timeoutMs = optDurationMs(w.source.eds_cluster_config?.eds_config?.initial_fetch_timeout, DEFAULT_INITIAL_FETCH_TIMEOUT_MS);
        if (timeoutMs > 0) {
          w.timer = setTimeout(() => {
            logger().warn({ cluster: w.source.name }, 'EDS initial fetch timed out; cluster activated without endpoints');
            this.promote(w);
          }, timeoutMs);
          w.timer.unref();
        }
      }
    }
    void w.cluster.initialize().then(() => this.promote(w));
  }

  private promote(w: WarmingCluster): void {
    if (this.closed || this.warming.get(w.source.name) !== w) return;
    if (w.timer) clearTimeout(w.timer);
    this.warming.delete(w.source.name);
    this.deps.clusterManager.addOrUpdate(w.cluster, this.deps.drainMs);
    this.active.set(w.source.name, { source: w.source, hash: w.hash, version: w.version, lastUpdated: w.lastUpdated });
    this.warmingGauge.set(this.warming.size);
    this.deps.onChange();
  }

  private dropWarming(w: WarmingCluster): void {
    if (w.timer) clearTimeout(w.timer);
    this.warming.delete(w.source.name);
    w.cluster.close();
  }
}
