import type { Worker } from 'node:cluster';
import type { StatsSnapshot } from '../observability/stats-snapshot.js';
import { StatsStore } from '../observability/stats-store.js';
import type { AdminBackend, HotUpgradeResponse, ListenerStatus } from './admin-backend.js';
import { CONCURRENCY_REFUSAL } from './hot-upgrade/upgrade-report.js';
import { mergeClusterStatus, type ClusterStatus } from './cluster-status.js';
import { setLogLevel, type LogLevel } from './logger.js';
import type { ProxyServer } from './proxy-server.js';
import { isWorkerToMain, type MainToWorker, type WorkerToMain } from './worker-protocol.js';
import { certsDump } from '../tls/certs-dump.js';

type Request = MainToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

const REQUEST_TIMEOUT_MS = 5000;

/**
 * Admin backend of the main process of a multi-worker proxy: config answers come from its own (non-serving)
 * server; stats and host counters are gathered from every worker over IPC and merged.
 */
export class WorkerAdminBackend implements AdminBackend {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Extract<WorkerToMain, { type: 'reply' }>) => void>();
  private hcFailed = false;
  private listenerStatus: ListenerStatus[] = [];

  constructor(
    private readonly server: ProxyServer,
    private readonly workers: () => Worker[],
    private readonly commandLine: Record<string, unknown>,
    private readonly onQuit: () => void,
  ) {}

  /** Wires a (re)started worker's messages into this backend. */
  attach(worker: Worker): void {
    worker.on('message', (msg: unknown) => {
      if (!isWorkerToMain(msg)) return;
      if (msg.type === 'reply') this.pending.get(msg.id)?.(msg);
      else if (msg.type === 'ready') this.listenerStatus = msg.listeners;
    });
  }

  private async broadcast(req: Request): Promise<Array<Extract<WorkerToMain, { type: 'reply' }>>> {
    const replies = this.workers()
      .filter((w) => w.isConnected())
      .map(
        (w) =>
          new Promise<Extract<WorkerToMain, { type: 'reply' }> | undefined>((resolve) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              resolve(undefined);
            }, REQUEST_TIMEOUT_MS);
            this.pending.set(id, (reply) => {
              clearTimeout(timer);
              this.pending.delete(id);
              resolve(reply);
            });
            w.send({ ...req, id } as MainToWorker);
          }),
      );
    return (await Promise.all(replies)).filter((r): r is Extract<WorkerToMain, { type: 'reply' }> => r !== undefined);
  }

  state(): string {
    return this.server.state;
  }

  async stats(): Promise<StatsSnapshot> {
    const replies = await this.broadcast({ type: 'stats' });
    this.server.refreshServerStats();
    const snapshots = replies.map((r) => r.stats).filter((s): s is StatsSnapshot => s !== undefined);
    return StatsStore.merge([this.server.stats.snapshot(), ...snapshots]);
  }

  async clusters(): Promise<ClusterStatus[]> {
    const replies = await this.broadcast({ type: 'clusters' });
    return mergeClusterStatus(replies.map((r) => r.clusters ?? []));
  }

  listeners(): ListenerStatus[] {
    return this.listenerStatus;
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
    this.hcFailed = failed;
    this.server.setHealthCheckFailed(failed);
    await this.broadcast({ type: 'healthcheck', failed });
  }

  healthCheckFailed(): boolean {
    return this.hcFailed;
  }

  async drainListeners(opts: { inboundOnly: boolean; graceful: boolean }): Promise<void> {
    this.server.state = 'DRAINING';
    await this.broadcast({ type: 'drain', ...opts });
  }

  async setLogLevel(level: LogLevel): Promise<void> {
    setLogLevel(level);
    await this.broadcast({ type: 'log_level', level });
  }

  quit(): void {
    this.onQuit();
  }

  async hotUpgrade(): Promise<HotUpgradeResponse> {
    return { status: 501, report: { ok: false, reason: CONCURRENCY_REFUSAL } };
  }
}
