import type { Duration__Output } from '@weft/api/envoy/google/protobuf/Duration.js';

/** Envoy Duration → milliseconds (rounded down), or `fallback` when unset. */
export function durationMs(d: Duration__Output | null | undefined, fallback: number): number {
  if (!d) return fallback;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}
