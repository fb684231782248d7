import type { Clock } from './deadline-queue.js';

/**
 * Envoy's local rate limit token bucket: starts full with `maxTokens`, gains `tokensPerFill` every `fillIntervalMs`.
 * Refill is computed lazily when the bucket is used (whole intervals elapsed since the last fill), so there is no
 * timer per bucket. Buckets live in one process: with `--concurrency N` each worker process has its own, so the
 * effective limit is N times the configured one (Envoy shares one bucket across its worker threads).
 */
export class TokenBucket {
  private tokens: number;
  private lastFill: number;

  constructor(
    readonly maxTokens: number,
    readonly tokensPerFill: number,
    readonly fillIntervalMs: number,
    private readonly now: Clock,
  ) {
    this.tokens = maxTokens;
    this.lastFill = now();
  }

  private refill(): void {
    const now = this.now();
    const intervals = Math.floor((now - this.lastFill) / this.fillIntervalMs);
    if (intervals <= 0) return;
    this.lastFill += intervals * this.fillIntervalMs;
    this.tokens = Math.min(this.maxTokens, this.tokens + intervals * this.tokensPerFill);
  }

  /** Takes one token; false when the bucket is empty. */
  consume(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Tokens left (x-ratelimit-remaining). */
  remaining(): number {
    this.refill();
    return this.tokens;
  }

  /** Whole seconds until the next fill (x-ratelimit-reset), rounded up. */
  resetSeconds(): number {
    this.refill();
    return Math.ceil((this.lastFill + this.fillIntervalMs - this.now()) / 1000);
  }
}
