import os from 'node:os';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';
import { registerBuiltinExtensions } from '../extensions/builtin.js';
import { ActiveListener, ListenerConfig } from '../network/listener.js';
import { StatsStore } from '../observability/stats-store.js';
import { IstioMetrics } from '../observability/istio-metrics.js';
import { flushAllAccessLogs } from '../observability/access-log/access-log-factory.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { createCluster } from '../upstream/cluster-factory.js';
import { fromNodeMetadata } from '../observability/istio-workload.js';
import { parseAdsConfig, type AdsConfig } from '../config/xds/ads-config.js';
import { DynamicConfig } from '../config/xds/dynamic-config.js';
import type { XdsUpdate } from '../config/xds/xds-types.js';
import { rejectUnsupportedBootstrap } from './bootstrap-check.js';
import { deadlines } from './deadline-queue.js';
import { DrainState, type FactoryContext } from './factory-context.js';
import { logger } from './logger.js';
import { LayeredRuntime } from './runtime.js';
import { WEFT_VERSION } from './version.js';
import { SecretStore } from '../tls/secret-store.js';
import type { DetachedConnection } from '../network/detached-connection.js';
import { mergeSnapshots, type StatsSnapshot } from '../observability/stats-snapshot.js';
import { detachConnectionsForUpgrade, type DetachOptions } from './upgrade-detach.js';

export type ServerState = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';

export interface ProxyServerOptions {
  /** Whether this process binds listeners (false in the main process of a multi-worker proxy). */
  readonly serveTraffic: boolean;
  readonly concurrency: number;
  /**
   * Whether this process runs the ADS client (default true). False in workers: the main process holds xDS and
   * hands them accepted updates (`applyXdsUpdate`).
   */
  readonly runXdsClient?: boolean;
  /** Seconds a draining listener waits for connections before closing them. */
  readonly drainTimeMs: number;
  readonly configPath?: string;
}

/**
 * One proxy instance: runtime, stats, clusters and listeners built from an Envoy bootstrap. Construction compiles
 * and validates everything (throwing ConfigError with a field path); `start()` binds sockets.
 */
export class ProxyServer {
  readonly stats = new StatsStore();
  readonly runtime: LayeredRuntime;
  readonly clusterManager: ClusterManager;
  readonly istio: IstioMetrics;
  readonly drainState = new DrainState();
  readonly listeners = new Map<string, ActiveListener>();
  readonly startedAtMs = Date.now();
  readonly ctx: FactoryContext;
  state: ServerState = 'PRE_INITIALIZING';
  /** Present with `dynamic_resources` (xDS). */
  readonly dynamic: DynamicConfig | undefined;
  private readonly adsConfig: AdsConfig | undefined;
  private adsClient: { close(): void } | undefined;
  private readonly listenerConfigs: ListenerConfig[] = [];
  /** Hot upgrade: the previous process's counters and histograms, reported added to this one's. */
  private inherited: StatsSnapshot | undefined;

  constructor(
    readonly bootstrap: Bootstrap__Output,
    readonly options: ProxyServerOptions,
  ) {
    registerBuiltinExtensions();
    rejectUnsupportedBootstrap(bootstrap);
    this.runtime = LayeredRuntime.fromBootstrap(bootstrap.layered_runtime, 'layered_runtime');
    const node = bootstrap.node;
    this.istio = new IstioMetrics(this.stats, fromNodeMetadata({ id: node?.id ?? '', cluster: node?.cluster ?? '', metadata: node?.metadata ?? undefined }));
    this.clusterManager = new ClusterManager({ scope: this.stats, runtime: this.runtime });
    const nl = node?.locality;
    const localLocality = nl ? { region: nl.region, zone: nl.zone, subZone: nl.sub_zone } : undefined;
    const secrets = new SecretStore(bootstrap.static_resources?.secrets ?? [], 'static_resources.secrets');
    const seen = new Set<string>();
    this.adsConfig = parseAdsConfig(bootstrap);
    const clusterDeps = { scope: this.stats, runtime: this.runtime, activeHealthChecks: options.serveTraffic, localLocality, allowEds: this.adsConfig !== undefined, secrets };
    (bootstrap.static_resources?.clusters ?? []).forEach((c, i) => {
      const path = joinPath('static_resources.clusters', i);
      if (seen.has(c.name)) throw new ConfigError(joinPath(path, 'name'), `duplicate cluster name '${c.name}'`);
      seen.add(c.name);
      this.clusterManager.add(createCluster(c, path, clusterDeps), joinPath(path, 'name'));
    });
    this.dynamic = this.adsConfig
      ? new DynamicConfig({
          ads: this.adsConfig,
          scope: this.stats,
          runtime: this.runtime,
          clusterManager: this.clusterManager,
          clusterDeps,
          listeners: this.listeners,
          serveTraffic: options.serveTraffic,
          drainMs: options.drainTimeMs,
          staticClusters: seen,
          staticListeners: new Set((bootstrap.static_resources?.listeners ?? []).map((l) => l.name)),
        })
      : undefined;
    this.clusterManager.setLocalCluster(bootstrap.cluster_manager?.local_cluster_name ?? '');
    this.ctx = {
      clusterManager: this.clusterManager,
      stats: this.stats,
      runtime: this.runtime,
      deadlines,
      istio: this.istio,
      logger: logger(),
      hostname: os.hostname(),
      drainState: this.drainState,
      direction: 'outbound',
      localClusterName: node?.cluster ?? '',
      rds: this.dynamic?.rds,
      routeSubscriptions: this.dynamic?.rds,
      secrets,
    };
    this.dynamic?.setContext(this.ctx);
    const names = new Set<string>();
    const addresses = new Set<string>();
    (bootstrap.static_resources?.listeners ?? []).forEach((l, i) => {
      const path = joinPath('static_resources.listeners', i);
      const cfg = new ListenerConfig(l, path, this.ctx);
      if (names.has(cfg.name)) throw new ConfigError(joinPath(path, 'name'), `duplicate listener name '${cfg.name}'`);
      names.add(cfg.name);
      const addrKey = `${cfg.address.host}:${cfg.address.port}`;
      if (cfg.address.port !== 0 && addresses.has(addrKey)) throw new ConfigError(joinPath(path, 'address'), `duplicate listener address ${addrKey}`);
      addresses.add(addrKey);
      this.listenerConfigs.push(cfg);
    });
    const serverScope = this.stats.scope('server');
    serverScope.gauge('concurrency', 'never').set(options.concurrency);
    this.stats.scope('listener_manager').gauge('total_listeners_active', 'never').set(this.listenerConfigs.length);
  }

  /**
   * Binds the listeners and starts xDS. `inheritedXds` (hot upgrade): the previous process's accepted updates,
   * applied first; the proxy then serves with them without waiting for its own xDS stream.
   */
  async start(opts: { inheritedXds?: readonly XdsUpdate[] } = {}): Promise<void> {
    this.state = 'INITIALIZING';
    await this.clusterManager.initializeAll();
    if (this.options.serveTraffic) {
      for (const cfg of this.listenerConfigs) {
        const listener = new ActiveListener(cfg, this.ctx, this.listeners);
        await listener.listen();
        this.listeners.set(cfg.name, listener);
      }
    }
    if (this.dynamic && opts.inheritedXds) {
      for (const update of opts.inheritedXds) {
        try {
          this.dynamic.apply(update);
        } catch (err) {
          logger().warn({ err, typeUrl: update.typeUrl }, 'hot upgrade: an xDS update of the previous process does not validate here; waiting for our own stream');
        }
      }
    }
    if (this.dynamic && this.adsConfig && this.options.runXdsClient !== false) {
      // Loaded only here: the ADS client brings gRPC and the proto reflection tree with it.
      const { AdsClient } = await import('../config/xds/ads-client.js');
      const client = new AdsClient(this.adsConfig, this.dynamic);
      this.adsClient = client;
      client.start();
      if (!opts.inheritedXds) await this.dynamic.whenInitialized();
    }
    this.state = 'LIVE';
    const server = this.stats.scope('server');
    server.gauge('live', 'never').set(1);
    server.gauge('state', 'never').set(0);
  }

  /** Refreshes process gauges (called before stats are read). */
  refreshServerStats(): void {
    const server = this.stats.scope('server');
    const mem = process.memoryUsage();
    server.gauge('uptime', 'never').set(Math.floor((Date.now() - this.startedAtMs) / 1000));
    server.gauge('memory_allocated', 'accumulate').set(mem.heapUsed);
    server.gauge('memory_heap_size', 'accumulate').set(mem.heapTotal);
    server.gauge('memory_physical_size', 'accumulate').set(mem.rss);
    let total = 0;
    for (const l of this.listeners.values()) total += l.activeConnections;
    server.gauge('total_connections', 'accumulate').set(total);
  }

  /** Own stats plus, after a hot upgrade, the previous process's counters and histograms (gauges are not summed). */
  statsSnapshot(): StatsSnapshot {
    const own = this.stats.snapshot();
    return this.inherited ? mergeSnapshots([own, this.inherited]) : own;
  }

  /** Hot upgrade: replaces the previous process's snapshot with a newer one (its counters only grow). */
  inheritStats(snapshot: StatsSnapshot): void {
    this.inherited = { counters: snapshot.counters, gauges: [], histograms: snapshot.histograms };
  }

  /** Connections still open on every listener (a draining process exits when this reaches 0). */
  openConnections(): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.openConnections;
    return n;
  }

  /** Hot upgrade, OLD side once NEW serves: stop accepting (NEW holds the listening sockets now). */
  stopAcceptingForUpgrade(): void {
    this.state = 'DRAINING';
    this.stats.scope('server').gauge('state', 'never').set(1);
    for (const l of this.listeners.values()) l.stopListening();
  }

  /** Hot upgrade, OLD side, after idle connections were detached: every connection left drains. */
  drainForUpgrade(): void {
    for (const l of this.listeners.values()) l.drainConnections();
  }

  /** Port a listener actually bound (for tests that configure port 0). */
  listenerPort(name: string): number | undefined {
    return this.listeners.get(name)?.port;
  }

  setHealthCheckFailed(failed: boolean): void {
    this.drainState.healthCheckFailed = failed;
  }

  /**
   * Hot upgrade, OLD side: takes every idle connection that can move to the next process (RPC connections with no
   * call in flight) out of this one, with its unread bytes. Connections that cannot move keep draining here.
   * Call it before drainListeners() (a draining connection does not move). The sockets are no longer read here:
   * hand each to NEW (`child.send(msg, socket)`, without keepOpen) or destroy it.
   */
  detachIdleConnections(): DetachedConnection[] {
    const out: DetachedConnection[] = [];
    for (const l of this.listeners.values()) out.push(...l.detachIdle());
    return out;
  }

  /**
   * Hot upgrade, OLD side, for zero lost calls: every connection that can move (RPC, not TLS) stops reading from the
   * kernel now, so requests its client sends meanwhile wait there for NEW; idle ones are handed to `onDetached` at
   * once, busy ones as soon as their calls in flight are answered and flushed. Resolves when all of them moved or
   * closed, or after `opts.deadlineMs`: those left then read again and drain here. Await it before drainListeners()
   * (a drain requested meanwhile waits for each pending connection's outcome). Hand each socket to NEW as with
   * detachIdleConnections().
   */
  detachConnectionsForUpgrade(onDetached: (c: DetachedConnection) => void, opts: DetachOptions): Promise<void> {
    return detachConnectionsForUpgrade(this.listeners.values(), onDetached, opts);
  }

  /**
   * Hot upgrade, NEW side: serves a connection OLD detached, on the listener of the same name, as if just accepted
   * there (listener filters are not run again). With no such listener the socket is closed and counted in
   * `listener_manager.cx_adopt_no_listener`.
   */
  adoptConnection(conn: DetachedConnection): void {
    const listener = this.listeners.get(conn.listenerName);
    if (listener === undefined) {
      this.stats.scope('listener_manager').counter('cx_adopt_no_listener').inc();
      this.ctx.logger.warn({ listener: conn.listenerName }, 'hot upgrade: no listener to adopt a connection; closed');
      conn.socket.destroy();
      return;
    }
    listener.adopt(conn.socket, conn.unread);
  }

  /** Envoy's /drain_listeners: stop accepting; with graceful, let connections finish over the drain time. */
  async drainListeners(opts: { inboundOnly: boolean; graceful: boolean }): Promise<void> {
    const tasks: Array<Promise<void>> = [];
    for (const l of this.listeners.values()) {
      if (opts.inboundOnly && l.listenerConfig.source.traffic_direction !== 'INBOUND') continue;
      if (opts.graceful) tasks.push(l.drain(this.options.drainTimeMs));
      else {
        l.stopListening();
      }
    }
    this.state = 'DRAINING';
    this.stats.scope('server').gauge('state', 'never').set(1);
    await Promise.all(tasks);
  }

  /** A worker applies an update its main process accepted (throws if it does not validate here either). */
  applyXdsUpdate(update: XdsUpdate): void {
    if (!this.dynamic) throw new Error('xDS update for a proxy without dynamic_resources');
    this.dynamic.apply(update);
  }

  async stop(): Promise<void> {
    this.state = 'DRAINING';
    this.adsClient?.close();
    this.dynamic?.close();
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
    this.clusterManager.close();
    flushAllAccessLogs();
  }

  /** Envoy-shaped /config_dump. */
  configDump(): Record<string, unknown> {
    const lastUpdated = new Date(this.startedAtMs).toISOString();
    const listeners = this.bootstrap.static_resources?.listeners ?? [];
    const routes = [];
    for (const l of listeners) {
      for (const chain of l.filter_chains) {
        for (const f of chain.filters) {
          const tc = f.typed_config as Record<string, unknown> | null;
          if (tc && tc['route_config']) routes.push({ route_config: tc['route_config'], last_updated: lastUpdated });
        }
      }
    }
    const dyn = this.dynamic?.dump();
    const configs: Array<Record<string, unknown>> = [
      { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: this.bootstrap, last_updated: lastUpdated },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        static_clusters: (this.bootstrap.static_resources?.clusters ?? []).map((cluster) => ({ cluster, last_updated: lastUpdated })),
        ...dyn?.clusters,
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        static_listeners: listeners.map((listener) => ({ listener, last_updated: lastUpdated })),
        ...dyn?.listeners,
      },
      { '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump', static_route_configs: routes, ...(dyn ? { dynamic_route_configs: dyn.routes } : {}) },
    ];
    if (dyn) configs.push({ '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump', dynamic_endpoint_configs: dyn.endpoints });
    return { configs };
  }

  serverInfo(commandLine: Record<string, unknown>): Record<string, unknown> {
    const uptime = Math.floor((Date.now() - this.startedAtMs) / 1000);
    return {
      version: `weft/${WEFT_VERSION}`,
      state: this.state,
      hot_restart_version: 'weft.1',
      command_line_options: commandLine,
      node: this.bootstrap.node,
      uptime_current_epoch: `${uptime}s`,
      uptime_all_epochs: `${uptime}s`,
    };
  }
}
