import type { Host } from '../host.js';

/** Result of one check. */
export const ProbeOutcome = {
  HEALTHY: 0,
  /** Passed, with `x-envoy-degraded`. */
  DEGRADED: 1,
  /** The host answered wrongly: unhealthy at once (Envoy's non-retriable ACTIVE failure). */
  FAILED: 2,
  /** The host answered with a retriable status: counts towards unhealthy_threshold. */
  FAILED_RETRIABLE: 3,
  /** Connect failure / reset: counts towards unhealthy_threshold. */
  NETWORK: 4,
} as const;
export type ProbeOutcome = (typeof ProbeOutcome)[keyof typeof ProbeOutcome];

export interface ProbeCallbacks {
  onProbeDone(outcome: ProbeOutcome): void;
  /** The answer carried `x-envoy-immediate-health-check-fail`. */
  onImmediateFail(): void;
}

/** One host's checker for one protocol; keeps its connection between checks when reuse_connection is set. */
export interface Probe {
  /** Starts one check; `onProbeDone` is called once, unless `cancel()` comes first. */
  start(): void;
  /** The check timed out: abandon it and close its connection. */
  cancel(): void;
  /** Session over: close everything. */
  close(): void;
}

export type ProbeFactory = (host: Host, cb: ProbeCallbacks) => Probe;
