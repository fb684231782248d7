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
}
