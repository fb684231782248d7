import type { ConfigSnapshot } from './config-store.js';
import type { UpdateListener } from './source-feed.js';

/** What startIstioSource needs from a source of Istio resources (a directory, etcd). */
export interface ConfigSource {
  /** Human-readable origin for logs (`config directory /etc/weft`, `etcd prefix /weft/config/`). */
  readonly description: string;
  /** Loads everything once (the first update is reported before it resolves), then follows changes. */
  start(): Promise<ConfigSnapshot>;
  snapshot(): ConfigSnapshot;
  /** Source-specific state for the debug API (e.g. the etcd revision applied). */
  status(): Record<string, unknown>;
  close(): void;
}

/** Callbacks a source reports to. */
export interface SourceHooks {
  readonly onUpdate: UpdateListener;
  /** A problem reaching the source (the last good config keeps being served). */
  readonly onError: (error: Error) => void;
  /** Notable events that are not problems (e.g. reconnected and resynced). */
  readonly onInfo?: (fields: Record<string, unknown>, message: string) => void;
}

export type ConfigSourceFactory = (hooks: SourceHooks) => ConfigSource;
