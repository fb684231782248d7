import type { Gauge, Scope } from '../../interfaces/stats.js';
import type { Runtime } from '../../interfaces/runtime.js';
import type { ActiveListener } from '../../network/listener.js';
import type { FactoryContext } from '../../server/factory-context.js';
import type { ClusterDeps } from '../../upstream/cluster.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { AdsConfig } from './ads-config.js';
import { CdsManager } from './cds-manager.js';
import { LdsManager } from './lds-manager.js';
import { RdsRegistry } from './rds-registry.js';
import { CLUSTER_TYPE, DUBBO_ROUTE_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTE_TYPES, RPC_ROUTE_TYPE, THRIFT_ROUTE_TYPE, XDS_TYPES, type XdsResource, type XdsSink, type XdsUpdate } from './xds-types.js';

export interface DynamicConfigDeps {
  readonly ads: AdsConfig;
  readonly scope: Scope;
  readonly runtime: Runtime;
  readonly clusterManager: ClusterManager;
  readonly clusterDeps: ClusterDeps;
  readonly listeners: Map<string, ActiveListener>;
  readonly serveTraffic: boolean;
  readonly drainMs: number;
  readonly staticClusters: ReadonlySet<string>;
  readonly staticListeners: ReadonlySet<string>;
}

/**
 * The proxy's dynamic (xDS) configuration: applies CDS, EDS, LDS and RDS updates all-or-nothing (a throw is a NACK
 * and leaves everything as it was), and knows when the initial configuration is ready.
 */
export class DynamicConfig implements XdsSink {
  readonly rds: RdsRegistry;
  readonly cds: CdsManager;
  private lds: LdsManager | undefined;
  private readonly connectedState: Gauge;
  private readonly seen = new Set<string>();
  private initResolve: (() => void) | undefined;
  private readonly initialized: Promise<void>;
  private initTimer: NodeJS.Timeout | undefined;
  /** Accepted resources by type (replayed to a worker that starts later). */
  private readonly accepted = new Map<string, { version: string; resources: Map<string, XdsResource> }>();
  /** Called with every accepted update (the main process forwards them to its workers). */
  onAccepted: ((update: XdsUpdate) => void) | undefined;

  constructor(private readonly deps: DynamicConfigDeps) {
    this.rds = new RdsRegistry(deps.scope, deps.runtime);
    this.connectedState = deps.scope.scope('control_plane').gauge('connected_state', 'never');
    this.cds = new CdsManager({
      clusterManager: deps.clusterManager,
      clusterDeps: deps.clusterDeps,
      scope: deps.scope,
      drainMs: deps.drainMs,
      staticNames: deps.staticClusters,
      onChange: () => this.checkInitialized(),
    });
    this.initialized = new Promise((resolve) => {
      this.initResolve = resolve;
    });
  }

  /** Listeners need the server's factory context (which carries this registry as `rds`): set once it exists. */
  setContext(ctx: FactoryContext): void {
    this.lds = new LdsManager({
      ctx: { ...ctx, clusterWarming: (name) => this.cds.warming.has(name) },
      rds: this.rds,
      scope: this.deps.scope,
      listeners: this.deps.listeners,
      serveTraffic: this.deps.serveTraffic,
      drainMs: this.deps.drainMs,
      staticNames: this.deps.staticListeners,
      onChange: () => this.checkInitialized(),
    });
  }

  /** Resolves when the first CDS and LDS responses are applied and warmed, or after the initial fetch timeouts. */
  whenInitialized(): Promise<void> {
    const timeout = Math.max(this.deps.ads.cdsInitialFetchTimeoutMs, this.deps.ads.ldsInitialFetchTimeoutMs);
    if (timeout > 0 && !this.initTimer) {
      this.initTimer = setTimeout(() => this.initResolve?.(), timeout);
      this.initTimer.unref();
    }
    return this.initialized;
  }

  apply(update: XdsUpdate): void {
    const lds = this.lds;
    if (!lds) throw new Error('DynamicConfig.setContext was not called');
    switch (update.typeUrl) {
      case CLUSTER_TYPE:
        this.cds.applyClusters(update);
        break;
      case ENDPOINT_TYPE:
        this.cds.applyEndpoints(update);
        break;
      case LISTENER_TYPE:
        lds.applyListeners(update);
        break;
      case ROUTE_TYPE:
      case RPC_ROUTE_TYPE:
      case THRIFT_ROUTE_TYPE:
      case DUBBO_ROUTE_TYPE:
        this.rds.apply(update);
        lds.onRoutesChanged();
        break;
      default:
        throw new Error(`unsupported resource type ${update.typeUrl}`);
    }
    this.seen.add(update.typeUrl);
    let acc = this.accepted.get(update.typeUrl);
    if (!acc) this.accepted.set(update.typeUrl, (acc = { version: '', resources: new Map() }));
    acc.version = update.version;
    for (const n of update.removes) acc.resources.delete(n);
    for (const r of update.upserts) acc.resources.set(r.name, r);
    this.checkInitialized();
    this.onAccepted?.(update);
  }

  /** The whole accepted configuration as updates, clusters first (for a worker that starts now). */
  replay(): XdsUpdate[] {
    const out: XdsUpdate[] = [];
    for (const t of XDS_TYPES) {
      const acc = this.accepted.get(t);
      if (acc) out.push({ typeUrl: t, version: acc.version, upserts: [...acc.resources.values()], removes: [] });
    }
    return out;
  }

  names(typeUrl: string): readonly string[] {
    if (typeUrl === ENDPOINT_TYPE) return this.cds.edsNames();
    if (ROUTE_TYPES.has(typeUrl)) return this.rds.names(typeUrl);
    return [];
  }

  onConnection(connected: boolean): void {
    this.connectedState.set(connected ? 1 : 0);
  }

  /** The dynamic parts of /config_dump (Envoy's dynamic_active_* shapes). */
  dump(): { clusters: Record<string, unknown>; listeners: Record<string, unknown>; routes: Array<Record<string, unknown>>; endpoints: Array<Record<string, unknown>> } {
    return { clusters: this.cds.dump(), listeners: this.lds?.dump() ?? {}, routes: this.rds.dump(), endpoints: this.cds.endpointsDump() };
  }

  close(): void {
    if (this.initTimer) clearTimeout(this.initTimer);
    this.cds.close();
  }

  private checkInitialized(): void {
    if (!this.initResolve) return;
    const ads = this.deps.ads;
    const cdsReady = !ads.hasCds || (this.seen.has(CLUSTER_TYPE) && this.cds.warming.size === 0);
    const ldsReady = !ads.hasLds || (this.seen.has(LISTENER_TYPE) && (this.lds?.warming.size ?? 0) === 0);
    if (cdsReady && ldsReady) {
      this.initResolve();
      this.initResolve = undefined;
    }
  }
}
