import type { HeaderMap } from '../../../../interfaces/header-map.js';

/** grpc-status → HTTP status, as Envoy maps it for outlier detection (Grpc::Utility::grpcToHttpStatus). */
const GRPC_TO_HTTP: readonly number[] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

/**
 * The status outlier detection sees: the HTTP status, or for a trailers-only gRPC answer (grpc-status in the
 * response head) the HTTP equivalent of its gRPC status, so `UNAVAILABLE` counts as a 503.
 */
export function outlierStatus(status: number, headers: HeaderMap): number {
  if (status !== 200) return status;
  const g = headers.get('grpc-status');
  if (g === undefined) return status;
  const code = Number(g);
  return Number.isInteger(code) && code >= 0 && code < GRPC_TO_HTTP.length ? (GRPC_TO_HTTP[code] as number) : 500;
}
