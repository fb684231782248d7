// A fixed-size latency histogram for the RPC load generator: recording is an increment (no sample array to grow
// and sort at 100k+ requests/s). Values are microseconds; below 2,048 µs every microsecond has its own bucket,
// above it each power of two is split into 1,024 buckets (under 0.1 % relative error), up to ~2^31 µs (35 min).

const SUB_BITS = 10;
const SUB = 1 << SUB_BITS; // 1024 buckets per power of two
const LINEAR = 2 * SUB; // exact below 2048 µs
const MAX_US = 2 ** 31 - 1;
const BUCKETS = LINEAR + (31 - SUB_BITS - 1) * SUB;

/** Bucket index of a non-negative integer number of microseconds. */
export function bucketOf(us) {
  if (us < LINEAR) return us;
  const v = Math.min(us, MAX_US);
  const exp = 31 - Math.clz32(v); // v in [2^exp, 2^(exp+1)), exp >= 11
  const shift = exp - SUB_BITS;
  return LINEAR + (exp - SUB_BITS - 1) * SUB + ((v >>> shift) - SUB);
}

/** The smallest value (µs) that falls into bucket `i`. */
export function bucketLow(i) {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const exp = Math.floor(k / SUB) + SUB_BITS + 1;
  return (SUB + (k % SUB)) * 2 ** (exp - SUB_BITS);
}

export class LatencyHistogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
  }

  /** Records one latency given in milliseconds (e.g. a difference of performance.now() values). */
  recordMs(ms) {
    const us = ms <= 0 ? 0 : Math.round(ms * 1000);
    this.counts[bucketOf(us)]++;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /**
   * Nearest-rank percentile in ms (as bench/lib/percentiles.js: the smallest recorded value such that at least p %
   * of the values are <= it), resolved to its bucket's lower bound and clamped to [min, max]; null when empty.
   */
  percentileMs(p) {
    if (this.count === 0) return null;
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
    const rank = Math.max(1, Math.ceil(Number(((p / 100) * this.count).toFixed(9))));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxUs, Math.max(this.minUs, bucketLow(i))) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** { count, minMs, p50Ms, p90Ms, p99Ms, p999Ms, maxMs, meanMs }; every field but count is null when empty. */
  summary() {
    const n = this.count;
    return {
      count: n,
      minMs: n ? this.minUs / 1000 : null,
      p50Ms: this.percentileMs(50),
      p90Ms: this.percentileMs(90),
      p99Ms: this.percentileMs(99),
      p999Ms: this.percentileMs(99.9),
      maxMs: n ? this.maxUs / 1000 : null,
      meanMs: n ? this.sumUs / n / 1000 : null,
    };
  }
}
