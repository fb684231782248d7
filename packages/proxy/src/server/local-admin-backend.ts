import type { StatsSnapshot } from '../observability/stats-snapshot.js';
import type { AdminBackend, HotUpgradeRequest, HotUpgradeResponse, ListenerStatus } from './admin-backend.js';
import { collectClusterStatus, type ClusterStatus } from './cluster-status.js';
import { setLogLevel, type LogLevel } from './logger.js';
import type { ProxyServer } from './proxy-server.js';
import { certsDump } from '../tls/certs-dump.js';

/** Admin backend of a single-process proxy: reads its own server directly. */
export class LocalAdminBackend implements AdminBackend {
  constructor(
    private readonly server: ProxyServer,
    private readonly commandLine: Record<string, unknown>,
    private readonly onQuit: () => void,
    private readonly onHotUpgrade?: (req: HotUpgradeRequest) => Promise<HotUpgradeResponse>,
  ) {}

  state(): string {
    return this.server.state;
  }

  async stats(): Promise<StatsSnapshot> {
    this.server.refreshServerStats();
    return this.server.statsSnapshot();
  }

  async clusters(): Promise<ClusterStatus[]> {
    return collectClusterStatus(this.server.clusterManager);
  }

  listeners(): ListenerStatus[] {
    return [...this.server.listeners.values()].map((l) => ({ name: l.name, address: l.listenerConfig.address.host, port: l.port }));
  }

  configDump(): Record<string, unknown> {
    return this.server.configDump();
  }

  certs(): Record<string, unknown> {
    // The main process compiles the same TLS contexts as its workers (and loads the same files).
    return certsDump();
  }

  serverInfo(): Record<string, unknown> {
    return this.server.serverInfo(this.commandLine);
  }

  runtime(): Record<string, unknown> {
    return this.server.runtime.snapshot();
  }

  async setHealthCheckFailed(failed: boolean): Promise<void> {
    this.server.setHealthCheckFailed(failed);
  }

  healthCheckFailed(): boolean {
    return this.server.drainState.healthCheckFailed;
  }

  async drainListeners(opts: { inboundOnly: boolean; graceful: boolean }): Promise<void> {
    await this.server.drainListeners(opts);
  }

  async setLogLevel(level: LogLevel): Promise<void> {
    setLogLevel(level);
  }

  quit(): void {
    this.onQuit();
  }

  hotUpgrade(req: HotUpgradeRequest): Promise<HotUpgradeResponse> {
    if (!this.onHotUpgrade) return Promise.resolve({ status: 501, report: { ok: false, reason: 'hot upgrade is not available in this process' } });
    return this.onHotUpgrade(req);
  }
}
