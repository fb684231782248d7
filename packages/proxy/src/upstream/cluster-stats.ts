import type { Counter, Gauge, Histogram, Scope } from '../interfaces/stats.js';

const COUNTERS = [
  'assignment_stale',
  'bind_errors',
  'lb_healthy_panic',
  'lb_local_cluster_not_ok',
  'lb_recalculate_zone_structures',
  'lb_zone_cluster_too_small',
  'lb_zone_no_capacity_left',
  'lb_zone_routing_all_directly',
  'lb_zone_routing_cross_zone',
  'lb_zone_routing_sampled',
  'membership_change',
  'retry_or_shadow_abandoned',
  'update_attempt',
  'update_empty',
  'update_failure',
  'update_no_rebuild',
  'update_success',
  'upstream_cx_close_notify',
  'upstream_cx_connect_attempts_exceeded',
  'upstream_cx_connect_fail',
  'upstream_cx_connect_timeout',
  'upstream_cx_destroy',
  'upstream_cx_destroy_local',
  'upstream_cx_destroy_local_with_active_rq',
  'upstream_cx_destroy_remote',
  'upstream_cx_destroy_remote_with_active_rq',
  'upstream_cx_destroy_with_active_rq',
  'upstream_cx_http1_total',
  'upstream_cx_http2_total',
  'upstream_cx_idle_timeout',
  'upstream_cx_max_duration_reached',
  'upstream_cx_max_requests',
  'upstream_cx_none_healthy',
  'upstream_cx_overflow',
  'upstream_cx_pool_overflow',
  'upstream_cx_protocol_error',
  'upstream_cx_rx_bytes_total',
  'upstream_cx_total',
  'upstream_cx_tx_bytes_total',
  'upstream_rq_cancelled',
  'upstream_rq_completed',
  'upstream_rq_maintenance_mode',
  'upstream_rq_pending_failure_eject',
  'upstream_rq_pending_overflow',
  'upstream_rq_pending_total',
  'upstream_rq_per_try_timeout',
  'upstream_rq_retry',
  'upstream_rq_retry_limit_exceeded',
  'upstream_rq_retry_overflow',
  // Weft's own (Envoy has no such re-send): a request re-sent on a fresh connection after the reused keep-alive
  // connection it went out on closed before any response byte. Not a retry-policy retry.
  'upstream_rq_retry_reused_connection',
  'upstream_rq_retry_success',
  'upstream_rq_rx_reset',
  'upstream_rq_timeout',
  'upstream_rq_total',
  'upstream_rq_tx_reset',
  'upstream_rq_1xx',
  'upstream_rq_2xx',
  'upstream_rq_3xx',
  'upstream_rq_4xx',
  'upstream_rq_5xx',
] as const;

const GAUGES = [
  'upstream_cx_active',
  'upstream_cx_rx_bytes_buffered',
  'upstream_cx_tx_bytes_buffered',
  'upstream_rq_active',
  'upstream_rq_pending_active',
] as const;

/** Gauges Envoy marks NeverImport (not carried over a hot restart). */
const NEVER_IMPORT_GAUGES = [
  'membership_healthy',
  'membership_degraded',
  'membership_excluded',
  'membership_total',
  'max_host_weight',
  'version',
] as const;

export type ClusterCounterName = (typeof COUNTERS)[number];
export type ClusterGaugeName = (typeof GAUGES)[number] | (typeof NEVER_IMPORT_GAUGES)[number];

/**
 * Envoy's per-cluster stats under `cluster.<name>.`, created once. Response-code counters (`upstream_rq_200`, …)
 * are created on first use by `rqCode`, like Envoy's CodeStats.
 */
export type ClusterStats = { readonly [K in ClusterCounterName]: Counter } & {
  readonly [K in ClusterGaugeName]: Gauge;
} & {
  readonly upstream_rq_time: Histogram;
  readonly upstream_cx_connect_ms: Histogram;
  readonly upstream_cx_length_ms: Histogram;
  /** `upstream_rq_<code>` for 100..599, lazily created and cached. */
  rqCode(code: number): Counter;
  /** `upstream_rq_<N>xx` for a status code. */
  rqClass(code: number): Counter;
};

export function createClusterStats(scope: Scope): ClusterStats {
  const stats: Record<string, unknown> = {};
  for (const n of COUNTERS) stats[n] = scope.counter(n);
  for (const n of GAUGES) stats[n] = scope.gauge(n, 'accumulate');
  for (const n of NEVER_IMPORT_GAUGES) stats[n] = scope.gauge(n, 'never');
  stats['upstream_rq_time'] = scope.histogram('upstream_rq_time', 'milliseconds');
  stats['upstream_cx_connect_ms'] = scope.histogram('upstream_cx_connect_ms', 'milliseconds');
  stats['upstream_cx_length_ms'] = scope.histogram('upstream_cx_length_ms', 'milliseconds');
  const codes: (Counter | undefined)[] = new Array<Counter | undefined>(600);
  const classes = [
    stats['upstream_rq_1xx'],
    stats['upstream_rq_2xx'],
    stats['upstream_rq_3xx'],
    stats['upstream_rq_4xx'],
    stats['upstream_rq_5xx'],
  ] as Counter[];
  stats['rqCode'] = (code: number): Counter => {
    const c = code >= 100 && code < 600 ? code : 0;
    let counter = codes[c];
    if (counter === undefined) codes[c] = counter = scope.counter(`upstream_rq_${c}`);
    return counter;
  };
  stats['rqClass'] = (code: number): Counter => {
    const i = Math.floor(code / 100) - 1;
    return classes[i >= 0 && i < 5 ? i : 4] as Counter;
  };
  // Built by keyed stores, the object is in V8's dictionary mode: every stat load on the data path would then be a
  // generic IC call. A spread copy has fast, inline-cacheable properties.
  return { ...stats } as ClusterStats;
}
