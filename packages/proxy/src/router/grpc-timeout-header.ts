const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/**
 * The `grpc-timeout` request header in ms (gRPC over HTTP/2: 1–8 ASCII digits and a unit H M S m u n), or
 * undefined when absent or malformed. Sub-millisecond values round up so a deadline never becomes "no timeout".
 */
export function parseGrpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const len = value.length;
  if (len < 2 || len > 9) return undefined;
  const unit = UNIT_MS[value.charAt(len - 1)];
  if (unit === undefined) return undefined;
  const digits = value.slice(0, len - 1);
  if (!/^\d+$/.test(digits)) return undefined;
  return Math.ceil(Number(digits) * unit);
}
