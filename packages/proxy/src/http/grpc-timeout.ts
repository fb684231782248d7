/**
 * The `grpc-timeout` request header (gRPC over HTTP/2 spec: 1-8 ASCII digits then a unit H M S m u n) in ms,
 * or undefined when absent or malformed. Sub-millisecond units round up, as Envoy does (a 1ns timeout must not
 * become "no timeout").
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = value.length;
  if (n < 2 || n > 9) return undefined;
  let v = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  switch (value.charCodeAt(n - 1)) {
    case 72: // H
      return v * 3_600_000;
    case 77: // M
      return v * 60_000;
    case 83: // S
      return v * 1000;
    case 109: // m
      return v;
    case 117: // u
      return Math.ceil(v / 1000);
    case 110: // n
      return Math.ceil(v / 1_000_000);
    default:
      return undefined;
  }
}
