import type { Counter, Gauge, Histogram, Scope } from '../interfaces/stats.js';

/** Envoy's `http.<stat_prefix>.*` connection manager stats, created once per HCM config. */
export interface HcmStats {
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxHttp1Total: Counter;
  readonly cxHttp1Active: Gauge;
  readonly cxHttp2Total: Counter;
  readonly cxHttp2Active: Gauge;
  readonly cxSslTotal: Counter;
  readonly cxSslActive: Gauge;
  readonly cxDestroy: Counter;
  readonly cxDestroyRemote: Counter;
  readonly cxDestroyLocal: Counter;
  readonly cxDestroyActiveRq: Counter;
  readonly cxRxBytes: Counter;
  readonly cxTxBytes: Counter;
  readonly cxProtocolError: Counter;
  readonly cxIdleTimeout: Counter;
  readonly cxDrainClose: Counter;
  readonly cxMaxRequestsReached: Counter;
  readonly cxMaxDurationReached: Counter;
  readonly cxLength: Histogram;
  readonly rqTotal: Counter;
  readonly rqHttp1Total: Counter;
  readonly rqHttp2Total: Counter;
  readonly rqActive: Gauge;
  readonly rqByClass: readonly Counter[];
  readonly rqCompleted: Counter;
  readonly rqRxReset: Counter;
  readonly rqTooManyPrematureResets: Counter;
  readonly rqTxReset: Counter;
  readonly rqTimeout: Counter;
  readonly rqMaxDurationReached: Counter;
  readonly rqIdleTimeout: Counter;
  readonly rqHeaderTimeout: Counter;
  readonly rqNonRelativePath: Counter;
  readonly rqTime: Histogram;
  readonly rqRxBytes: Histogram;
  readonly rqTxBytes: Histogram;
  readonly rqMissingHost: Counter;
  readonly cxUpgradesTotal: Counter;
  readonly cxUpgradesActive: Gauge;
  readonly rqWsOnNonWsRoute: Counter;
  /** Router-owned stats that Envoy keeps under the HCM prefix. */
  readonly noRoute: Counter;
  readonly noCluster: Counter;
  readonly rqRedirect: Counter;
  readonly rqDirectResponse: Counter;
  readonly routerRqTotal: Counter;
}

export function createHcmStats(root: Scope, statPrefix: string): HcmStats {
  const s = root.scope(`http.${statPrefix}`);
  return {
    cxTotal: s.counter('downstream_cx_total'),
    cxActive: s.gauge('downstream_cx_active'),
    cxHttp1Total: s.counter('downstream_cx_http1_total'),
    cxHttp1Active: s.gauge('downstream_cx_http1_active'),
    cxHttp2Total: s.counter('downstream_cx_http2_total'),
    cxHttp2Active: s.gauge('downstream_cx_http2_active'),
    cxSslTotal: s.counter('downstream_cx_ssl_total'),
    cxSslActive: s.gauge('downstream_cx_ssl_active'),
    cxDestroy: s.counter('downstream_cx_destroy'),
    cxDestroyRemote: s.counter('downstream_cx_destroy_remote'),
    cxDestroyLocal: s.counter('downstream_cx_destroy_local'),
    cxDestroyActiveRq: s.counter('downstream_cx_destroy_active_rq'),
    cxRxBytes: s.counter('downstream_cx_rx_bytes_total'),
    cxTxBytes: s.counter('downstream_cx_tx_bytes_total'),
    cxProtocolError: s.counter('downstream_cx_protocol_error'),
    cxIdleTimeout: s.counter('downstream_cx_idle_timeout'),
    cxDrainClose: s.counter('downstream_cx_drain_close'),
    cxMaxRequestsReached: s.counter('downstream_cx_max_requests_reached'),
    cxMaxDurationReached: s.counter('downstream_cx_max_duration_reached'),
    rqMaxDurationReached: s.counter('downstream_rq_max_duration_reached'),
    cxLength: s.histogram('downstream_cx_length_ms', 'milliseconds'),
    rqTotal: s.counter('downstream_rq_total'),
    rqHttp1Total: s.counter('downstream_rq_http1_total'),
    rqHttp2Total: s.counter('downstream_rq_http2_total'),
    rqActive: s.gauge('downstream_rq_active'),
    rqByClass: [1, 2, 3, 4, 5].map((c) => s.counter(`downstream_rq_${c}xx`)),
    rqCompleted: s.counter('downstream_rq_completed'),
    rqRxReset: s.counter('downstream_rq_rx_reset'),
    rqTooManyPrematureResets: s.counter('downstream_rq_too_many_premature_resets'),
    rqTxReset: s.counter('downstream_rq_tx_reset'),
    rqTimeout: s.counter('downstream_rq_timeout'),
    rqIdleTimeout: s.counter('downstream_rq_idle_timeout'),
    rqHeaderTimeout: s.counter('downstream_rq_header_timeout'),
    rqNonRelativePath: s.counter('downstream_rq_non_relative_path'),
    rqTime: s.histogram('downstream_rq_time', 'milliseconds'),
    rqRxBytes: s.histogram('downstream_rq_rx_bytes', 'bytes'),
    rqTxBytes: s.histogram('downstream_rq_tx_bytes', 'bytes'),
    rqMissingHost: s.counter('downstream_rq_missing_host_header'),
    cxUpgradesTotal: s.counter('downstream_cx_upgrades_total'),
    cxUpgradesActive: s.gauge('downstream_cx_upgrades_active'),
    rqWsOnNonWsRoute: s.counter('downstream_rq_ws_on_non_ws_route'),
    noRoute: s.counter('no_route'),
    noCluster: s.counter('no_cluster'),
    rqRedirect: s.counter('rq_redirect'),
    rqDirectResponse: s.counter('rq_direct_response'),
    routerRqTotal: s.counter('rq_total'),
  };
}
