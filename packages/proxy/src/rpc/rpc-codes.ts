import type { RpcLocalStatus } from '../interfaces/rpc-codec.js';

/** Envoy's HTTP codes for the same conditions: Istio's `response_code` label and `%RESPONSE_CODE%`. */
export const LOCAL_CODES: Readonly<Record<RpcLocalStatus, number>> = {
  no_route: 404,
  no_healthy_upstream: 503,
  upstream_unavailable: 503,
  timeout: 504,
  overflow: 503,
  rate_limited: 429,
  fault_abort: 503,
  bad_request: 400,
};
export const RESPONSE_CODES = { ok: 200, server_error: 500, client_error: 400, timeout: 504, overflow: 503, unknown: 500 } as const;

