import type { StatsSnapshot } from '../observability/stats-snapshot.js';
import type { ClusterStatus } from './cluster-status.js';
import type { ListenerStatus } from './admin-backend.js';
import type { LogLevel } from './logger.js';
import type { XdsUpdate } from '../config/xds/xds-types.js';

/** Messages from the main process to a worker. Requests carry an id; the worker answers with the same id. */
export type MainToWorker =
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'clusters'; readonly id: number }
  | { readonly type: 'healthcheck'; readonly id: number; readonly failed: boolean }
  | { readonly type: 'drain'; readonly id: number; readonly inboundOnly: boolean; readonly graceful: boolean }
  | { readonly type: 'log_level'; readonly id: number; readonly level: LogLevel }
  | { readonly type: 'shutdown'; readonly id: number }
  /** An xDS update the main process accepted (structured clone: bytes fields arrive as Uint8Array). */
  | { readonly type: 'xds'; readonly id: number; readonly update: XdsUpdate };

export type WorkerToMain =
  | { readonly type: 'ready'; readonly listeners: ListenerStatus[] }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'reply'; readonly id: number; readonly stats?: StatsSnapshot; readonly clusters?: ClusterStatus[] };

export function isWorkerToMain(msg: unknown): msg is WorkerToMain {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string';
}

export function isMainToWorker(msg: unknown): msg is MainToWorker {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' && typeof (msg as { id?: unknown }).id === 'number';
}
