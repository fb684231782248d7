/**
 * Hot-upgrade messages between the serving proxy (OLD) and its successor (NEW), over a Node IPC channel opened with
 * `serialization: 'advanced'` (Buffers survive). Handles (raw listening-socket handles, idle connections) ride along
 * with a message. The broker is whoever spawned NEW: OLD itself (standalone SIGHUP / admin upgrade), or the agent, which
 * forwards every message untouched (see relay.ts). Every message carries `weftUpgrade: 1` so other IPC traffic
 * (cluster workers, test harnesses) is never mistaken for it.
 */
import type { XdsUpdate } from '../../config/xds/xds-types.js';
import type { StatsSnapshot } from '../../observability/stats-snapshot.js';

/** Set to '1' in NEW's environment: start by taking over from the process at the other end of the IPC channel. */
export const HOT_UPGRADE_ENV = 'WEFT_HOT_UPGRADE';

/** The control messages a broker must understand; the handover itself (listeners, state, connections) is opaque to it. */
export type UpgradeControlMessage =
  /** NEW -> OLD: started and ready to receive state and handles. */
  | { readonly weftUpgrade: 1; readonly type: 'hello'; readonly pid: number; readonly version: string }
  /** Broker -> OLD: hand everything over to the other end of your IPC channel (your parent, the broker). */
  | { readonly weftUpgrade: 1; readonly type: 'begin'; readonly readyTimeoutMs: number }
  /** NEW -> OLD: serving on every listener it was handed; OLD stops accepting and drains. */
  | { readonly weftUpgrade: 1; readonly type: 'ready'; readonly pid: number }
  /** Broker -> OLD and NEW: the upgrade is off (NEW failed or missed the deadline); OLD keeps serving. */
  | { readonly weftUpgrade: 1; readonly type: 'abort'; readonly reason: string }
  /** OLD -> NEW: drained; exiting now (NEW freezes OLD's last counters into its own). */
  | { readonly weftUpgrade: 1; readonly type: 'exiting' };

export interface UpgradeMessageBase {
  readonly weftUpgrade: 1;
  readonly type: string;
}

export function isUpgradeMessage(msg: unknown): msg is UpgradeMessageBase {
  return typeof msg === 'object' && msg !== null && (msg as { weftUpgrade?: unknown }).weftUpgrade === 1 && typeof (msg as { type?: unknown }).type === 'string';
}

export function controlMessage<T extends UpgradeControlMessage['type']>(
  type: T,
  fields: Omit<Extract<UpgradeControlMessage, { type: T }>, 'weftUpgrade' | 'type'>,
): Extract<UpgradeControlMessage, { type: T }> {
  return { weftUpgrade: 1, type, ...fields } as unknown as Extract<UpgradeControlMessage, { type: T }>;
}

/** A listening socket OLD hands over: matched in NEW to the listener of the same name and configured address. */
export interface HandedListener {
  /** Listener name, or '' for the admin listener. */
  readonly name: string;
  readonly host: string;
  /** The configured port (0 when the listener was bound to an ephemeral port). */
  readonly port: number;
  /** The port the socket is bound to. */
  readonly boundPort: number;
}

/**
 * The handover itself (OLD <-> NEW; a broker forwards these untouched). Order: NEW `hello`; OLD `state`, one
 * `listener` per listening socket (raw handle attached), `sockets-done`; NEW `ready`; OLD `counters` (repeated while
 * it drains), `connection` per migrated connection (socket attached), `connections-moved`, a final `counters`,
 * `exiting`.
 */
export type HandoverMessage =
  /** OLD -> NEW: the accepted xDS updates (NEW serves with them until its own stream is up) and OLD's counters. */
  | { readonly weftUpgrade: 1; readonly type: 'state'; readonly pid: number; readonly version: string; readonly xds: readonly XdsUpdate[]; readonly stats: StatsSnapshot }
  /** OLD -> NEW, with the listening socket's handle. */
  | { readonly weftUpgrade: 1; readonly type: 'listener'; readonly listener: HandedListener }
  /** OLD -> NEW: every listening socket was sent. */
  | { readonly weftUpgrade: 1; readonly type: 'sockets-done' }
  /** OLD -> NEW: OLD's counters and histograms (its own plus what it inherited); NEW reports them added to its own. */
  | { readonly weftUpgrade: 1; readonly type: 'counters'; readonly stats: StatsSnapshot }
  /** OLD -> NEW, with the connection's socket: an idle connection NEW serves from now on. */
  | { readonly weftUpgrade: 1; readonly type: 'connection'; readonly listenerName: string; readonly unread: Uint8Array }
  /** OLD -> NEW: no more `connection` (every connection that could move did, or the move deadline passed). */
  | { readonly weftUpgrade: 1; readonly type: 'connections-moved' };

export type UpgradeMessage = UpgradeControlMessage | HandoverMessage;

export function handoverMessage<T extends HandoverMessage['type']>(
  type: T,
  fields: Omit<Extract<HandoverMessage, { type: T }>, 'weftUpgrade' | 'type'>,
): Extract<HandoverMessage, { type: T }> {
  return { weftUpgrade: 1, type, ...fields } as unknown as Extract<HandoverMessage, { type: T }>;
}
