/**
 * Istio durations are protobuf Durations written in JSON the way Go's jsonpb reads them: `time.ParseDuration`
 * syntax (`1.5s`, `100ms`, `1h30m`). Parsed to whole nanoseconds (as a bigint so hours stay exact).
 */
const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

export function parseGoDuration(text: string): bigint | undefined {
  if (text === '0') return 0n;
  if (text.length === 0) return undefined;
  let pos = 0;
  let total = 0n;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    const unit = UNIT_NS[m[2]] ?? 1n;
    const [int = '0', frac = ''] = m[1].split('.');
    total += BigInt(int || '0') * unit;
    if (frac) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    pos = PART.lastIndex;
  }
  return total;
}

/** Envoy's proto3-JSON duration text: seconds with up to 9 fractional digits (`1.5s`, `0s`). */
export function envoyDuration(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const rest = ns % 1_000_000_000n;
  if (rest === 0n) return `${s}s`;
  return `${s}.${rest.toString().padStart(9, '0').replace(/0+$/, '')}s`;
}

/** `istioDuration` → Envoy JSON duration; the value must have been validated. */
export function toEnvoyDuration(text: string): string {
  return envoyDuration(parseGoDuration(text) ?? 0n);
}

export function durationMs(text: string): number {
  return Number((parseGoDuration(text) ?? 0n) / 1_000_000n);
}
