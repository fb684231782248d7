import type { HeaderMap } from '../../../../interfaces/header-map.js';
import { parseGrpcTimeout } from '../../../../http/grpc-timeout.js';
import type { ClusterRouteAction } from '../../../../router/route-table.js';
import { isGrpcContentType } from '../../../../router/route-matchers.js';

export interface RequestTimeouts {
  /** Whole-request timeout from the end of the downstream request; 0 = none. */
  readonly globalMs: number;
  /** Per attempt, from the end of the request on that attempt; 0 = none. */
  readonly perTryMs: number;
  /** `x-envoy-expected-rq-timeout-ms`: the per-try timeout when there is one, else the global one. */
  readonly expectedMs: number;
}

/**
 * Envoy's timeout resolution: the route timeout, replaced by `grpc-timeout` (capped, minus the offset) when the
 * route enables it for gRPC, then by `x-envoy-upstream-rq-timeout-ms`; the per-try timeout from the retry policy
 * or `x-envoy-upstream-rq-per-try-timeout-ms`, ignored unless shorter than the global one. The x-envoy timeout
 * headers are consumed.
 */
export function computeTimeouts(action: ClusterRouteAction, headers: HeaderMap, policyPerTryMs: number): RequestTimeouts {
  let globalMs = action.timeoutMs;
  const grpcMax = action.grpcTimeoutHeaderMaxMs ?? action.maxGrpcTimeoutMs;
  if (grpcMax !== undefined && isGrpcContentType(headers.get('content-type'))) {
    const t = parseGrpcTimeout(headers.get('grpc-timeout'));
    if (t !== undefined) {
      globalMs = grpcMax > 0 && (t === 0 || t > grpcMax) ? grpcMax : t;
      const offset = action.grpcTimeoutHeaderOffsetMs ?? action.grpcTimeoutOffsetMs ?? 0;
      if (offset > 0 && offset < globalMs) globalMs -= offset;
    }
  }
  const override = takeMs(headers, 'x-envoy-upstream-rq-timeout-ms');
  if (override !== undefined) globalMs = override;
  let perTryMs = policyPerTryMs;
  const perTryOverride = takeMs(headers, 'x-envoy-upstream-rq-per-try-timeout-ms');
  if (perTryOverride !== undefined) perTryMs = perTryOverride;
  if (globalMs > 0 && perTryMs >= globalMs) perTryMs = 0;
  return { globalMs, perTryMs, expectedMs: perTryMs > 0 ? perTryMs : globalMs };
}

function takeMs(headers: HeaderMap, name: string): number | undefined {
  const v = headers.get(name);
  if (v === undefined) return undefined;
  headers.remove(name);
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
