import type { Histogram, HistogramUnit } from '../interfaces/stats.js';
import type { StatMeta } from './stat-meta.js';

/** Envoy's default histogram bucket bounds (`stats_config.histogram_bucket_settings` absent). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
]);

/** Quantiles Envoy prints in `/stats` (as fractions). */
export const SUPPORTED_QUANTILES: readonly number[] = Object.freeze([
  0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1,
]);

/**
 * A fixed-bucket histogram. `counts[i]` holds values `v <= bounds[i]` not in an earlier bucket; the last slot
 * (`counts[bounds.length]`) holds the overflow above the last bound. Min and max are kept so P0/P100 are exact and
 * interpolation in the outer buckets stays inside the observed range.
 */
export class HistogramImpl implements Histogram {
  readonly counts: Float64Array;
  /** `bounds` as a typed array: element loads from a frozen array are not inlined by V8 (record() is hot). */
  private readonly limits: Float64Array;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly name: string,
    readonly unit: HistogramUnit,
    readonly bounds: readonly number[],
    readonly meta: StatMeta,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.limits = Float64Array.from(bounds);
  }

  record(value: number): void {
    if (!(value >= 0)) return; // Envoy records unsigned integers; NaN and negatives are dropped.
    const b = this.limits;
    const n = b.length;
    let i = 0;
    // Linear scan: 19 bounds, and most values land in the first few buckets.
    while (i < n && value > (b[i] as number)) i++;
    (this.counts[i] as number)++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get used(): boolean {
    return this.count > 0;
  }

  /** Adds another histogram's buckets (same bounds) into this one. */
  addBuckets(buckets: readonly number[], count: number, sum: number, min: number, max: number): void {
    if (buckets.length !== this.counts.length) {
      throw Object.assign(new Error(`histogram ${this.name}: bucket layout mismatch`), { code: 'WEFT_ERR_STATS_BUCKETS' });
    }
    for (let i = 0; i < buckets.length; i++) this.counts[i] = (this.counts[i] as number) + (buckets[i] as number);
    if (count === 0) return;
    this.count += count;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }
}

/**
 * Quantile by linear interpolation inside the bucket that holds rank `q * count`. Bucket `i` spans
 * `(bounds[i-1], bounds[i]]`, clamped to the observed `[min, max]`. Returns NaN when empty.
 */
export function histogramQuantile(
  bounds: readonly number[],
  counts: ArrayLike<number>,
  count: number,
  min: number,
  max: number,
  q: number,
): number {
  if (count <= 0) return NaN;
  if (q <= 0) return min;
  if (q >= 1) return max;
  const rank = q * count;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c === 0) continue;
    if (before + c >= rank) {
      const lo = Math.max(i === 0 ? 0 : (bounds[i - 1] as number), min);
      const hi = Math.min(i < bounds.length ? (bounds[i] as number) : max, max);
      if (hi <= lo) return hi;
      return lo + ((hi - lo) * (rank - before)) / c;
    }
    before += c;
  }
  return max;
}

/** All supported quantiles at once (for text and JSON output). */
export function histogramQuantiles(
  bounds: readonly number[],
  counts: ArrayLike<number>,
  count: number,
  min: number,
  max: number,
): number[] {
  const out: number[] = [];
  for (const q of SUPPORTED_QUANTILES) out.push(histogramQuantile(bounds, counts, count, min, max, q));
  return out;
}
