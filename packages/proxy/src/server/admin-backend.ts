import type { StatsSnapshot } from '../observability/stats-snapshot.js';
import type { ClusterStatus } from './cluster-status.js';
import type { LogLevel } from './logger.js';

export interface ListenerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/**
 * What the admin API reads and controls. A single-process proxy answers from its own server; a multi-worker proxy's
 * main process gathers from its workers over IPC and merges.
 */
export interface HotUpgradeRequest {
  /** weft.js (run with this Node) or an executable; default: the same command line as this process. */
  readonly binary?: string;
  /** NEW must be serving within this time (default: the proxy's --upgrade-timeout). */
  readonly timeoutMs?: number;
}

/** The admin answer to `POST /hot_upgrade`: HTTP status and a JSON report (timings, pids, or why it aborted). */
export interface HotUpgradeResponse {
  readonly status: number;
  readonly report: Record<string, unknown>;
}

export interface AdminBackend {
  state(): string;
  stats(): Promise<StatsSnapshot>;
  clusters(): Promise<ClusterStatus[]>;
  listeners(): ListenerStatus[];
  configDump(): Record<string, unknown>;
  /** Envoy's `/certs`: loaded TLS certificates. */
  certs(): Record<string, unknown>;
  serverInfo(): Record<string, unknown>;
  runtime(): Record<string, unknown>;
  setHealthCheckFailed(failed: boolean): Promise<void>;
  healthCheckFailed(): boolean;
  drainListeners(opts: { inboundOnly: boolean; graceful: boolean }): Promise<void>;
  setLogLevel(level: LogLevel): Promise<void>;
  quit(): void;
  /** Hot upgrade (`POST /hot_upgrade`): resolves when the new process serves or the upgrade aborted. */
  hotUpgrade(req: HotUpgradeRequest): Promise<HotUpgradeResponse>;
}
