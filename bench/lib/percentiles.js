// Latency percentiles from raw samples (h2load's per-request log, the gRPC load generator's timings).

/**
 * Nearest-rank percentile of an ascending-sorted array: the smallest sample such that at least p % of the samples
 * are <= it (p50 of [1,2,3,4] is 2, p99 of 1..1000 is 990). null for no samples.
 */
export function percentile(sorted, p) {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  // p / 100 * n in floating point can land a hair above an integer (e.g. 0.29 * 100 = 29.000000000000004)
  const rank = Math.ceil(Number(((p / 100) * n).toFixed(9)));
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}

/**
 * { count, minMs, p50Ms, p99Ms, p999Ms, maxMs, meanMs } of latencies in milliseconds (any array-like of numbers; not
 * modified). Every field but count is null when there are no samples.
 */
export function summarizeLatencies(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    minMs: n ? sorted[0] : null,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: n ? sorted[n - 1] : null,
    meanMs: n ? sum / n : null,
  };
}
