/**
 * Restart policy for a crashing proxy: the n-th consecutive crash waits `initialMs * 2^(n-1)`, capped at `maxMs`.
 * A proxy that stayed up `resetAfterMs` counts as healthy again (the next crash waits `initialMs`). After
 * `maxConsecutive` crashes without such a healthy run the supervisor gives up (0 = never).
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  readonly maxConsecutive: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000, maxConsecutive: 10 };

export class Backoff {
  private consecutive = 0;

  constructor(readonly policy: BackoffPolicy) {}

  /** Crashes since the last healthy run. */
  get consecutiveCrashes(): number {
    return this.consecutive;
  }

  /** Records a crash of a process that ran `uptimeMs`; returns the delay before the restart, or undefined to give up. */
  onCrash(uptimeMs: number): number | undefined {
    if (uptimeMs >= this.policy.resetAfterMs) this.consecutive = 0;
    this.consecutive++;
    if (this.policy.maxConsecutive > 0 && this.consecutive > this.policy.maxConsecutive) return undefined;
    return Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** (this.consecutive - 1));
  }
}
