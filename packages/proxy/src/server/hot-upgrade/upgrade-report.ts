/** Why `--concurrency N>1` proxies refuse a hot upgrade (workers would each need their own handover). */
export const CONCURRENCY_REFUSAL = 'hot upgrade is supported with --concurrency 1 only';

/** Envoy-style defaults for the upgrade deadlines. */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 30_000;

/** What an upgrade attempt reports (admin JSON, CLI, log line). Times in ms since the trigger. */
export type UpgradeOutcome =
  | {
      readonly ok: true;
      readonly old_pid: number;
      readonly new_pid: number;
      /** NEW said hello (started and asked for the sockets). */
      readonly hello_ms: number;
      /** NEW serves on every handed socket: the upgrade is done from a client's point of view. */
      readonly ready_ms: number;
      /** OLD exits at the latest this long after `ready` (its drain time); sooner once its connections are gone. */
      readonly old_exit_deadline_ms: number;
    }
  | { readonly ok: false; readonly old_pid: number; readonly new_pid?: number; readonly reason: string; readonly aborted_after_ms: number };
