import { ConfigError, joinPath } from '@weft/api/lite';
import type { HTTPFault__Output } from '@weft/api/envoy/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
import type { HeaderMap } from '../../../../interfaces/header-map.js';
import { compileHeaderMatcher, type HeaderMatcher } from '../../../../router/route-matchers.js';
import { durationMs } from '../../../../server/duration.js';
import { compileFraction, Fraction } from '../../../../server/fraction.js';

export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

export const H_ABORT = 'x-envoy-fault-abort-request';
export const H_ABORT_GRPC = 'x-envoy-fault-abort-grpc-request';
export const H_ABORT_PERCENT = 'x-envoy-fault-abort-request-percentage';
export const H_DELAY = 'x-envoy-fault-delay-request';
export const H_DELAY_PERCENT = 'x-envoy-fault-delay-request-percentage';

/** absl::SimpleAtoi for an unsigned header value (first value only: these headers are untrusted). */
export function headerUint(headers: HeaderMap, name: string): number | undefined {
  const v = headers.get(name);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^\+?[0-9]+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The header-supplied numerator, capped at the configured one, with the configured denominator. */
function headerFraction(headers: HeaderMap, name: string, configured: Fraction): Fraction {
  const n = headerUint(headers, name);
  if (n === undefined || n > 0xffffffff) return configured;
  return n >= configured.numerator ? configured : new Fraction(n, configured.denominator);
}

/** `delay`: fixed or from `x-envoy-fault-delay-request`. */
export class DelayConfig {
  constructor(
    /** -1: taken from the request header. */
    readonly fixedMs: number,
    readonly percentage: Fraction,
  ) {}

  durationMs(headers: HeaderMap): number | undefined {
    return this.fixedMs >= 0 ? this.fixedMs : headerUint(headers, H_DELAY);
  }

  percent(headers: HeaderMap): Fraction {
    return this.fixedMs >= 0 ? this.percentage : headerFraction(headers, H_DELAY_PERCENT, this.percentage);
  }
}

const A_HTTP = 0;
const A_GRPC = 1;
const A_HEADER = 2;

/** `abort`: fixed HTTP or gRPC status, or from `x-envoy-fault-abort-request` / `-grpc-request`. */
export class AbortConfig {
  constructor(
    private readonly kind: number,
    private readonly status: number,
    readonly percentage: Fraction,
  ) {}

  httpStatus(headers: HeaderMap): number | undefined {
    if (this.kind === A_HTTP) return this.status;
    if (this.kind === A_GRPC) return undefined;
    const code = headerUint(headers, H_ABORT);
    return code !== undefined && code >= 200 && code < 600 ? code : undefined;
  }

  grpcStatus(headers: HeaderMap): number | undefined {
    if (this.kind === A_GRPC) return this.status;
    if (this.kind === A_HTTP) return undefined;
    return headerUint(headers, H_ABORT_GRPC);
  }

  percent(headers: HeaderMap): Fraction {
    return this.kind === A_HEADER ? headerFraction(headers, H_ABORT_PERCENT, this.percentage) : this.percentage;
  }
}

/** A compiled HTTPFault (filter level or per route). */
export class FaultSettings {
  constructor(
    readonly delay: DelayConfig | undefined,
    readonly abort: AbortConfig | undefined,
    readonly upstreamCluster: string,
    readonly headers: readonly HeaderMatcher[],
    readonly downstreamNodes: ReadonlySet<string>,
    readonly maxActiveFaults: number | undefined,
    readonly delayPercentRuntime: string,
    readonly abortPercentRuntime: string,
    readonly delayDurationRuntime: string,
    readonly abortHttpStatusRuntime: string,
    readonly abortGrpcStatusRuntime: string,
    readonly maxActiveFaultsRuntime: string,
    readonly disableDownstreamClusterStats: boolean,
  ) {}
}

function compileDelay(d: NonNullable<HTTPFault__Output['delay']>, path: string): DelayConfig {
  const percentage = compileFraction(d.percentage, joinPath(path, 'percentage'));
  if (d.fault_delay_secifier === 'fixed_delay') {
    const fd = d.fixed_delay;
    if (!fd || Number(fd.seconds) < 0 || fd.nanos < 0) throw new ConfigError(joinPath(path, 'fixed_delay'), 'must be a non-negative duration');
    return new DelayConfig(durationMs(fd, 0), percentage);
  }
  if (d.fault_delay_secifier === 'header_delay') return new DelayConfig(-1, percentage);
  throw new ConfigError(path, 'one of fixed_delay or header_delay is required');
}

function compileAbort(a: NonNullable<HTTPFault__Output['abort']>, path: string): AbortConfig {
  const percentage = compileFraction(a.percentage, joinPath(path, 'percentage'));
  switch (a.error_type) {
    case 'http_status': {
      const s = a.http_status ?? 0;
      if (s < 200 || s >= 600) throw new ConfigError(joinPath(path, 'http_status'), 'must be in [200, 600)');
      return new AbortConfig(A_HTTP, s, percentage);
    }
    case 'grpc_status':
      return new AbortConfig(A_GRPC, a.grpc_status ?? 0, percentage);
    case 'header_abort':
      return new AbortConfig(A_HEADER, 0, percentage);
    default:
      throw new ConfigError(path, 'one of http_status, grpc_status or header_abort is required');
  }
}

/** Compiles an HTTPFault; `path` is its typed_config path. */
export function compileFaultSettings(cfg: HTTPFault__Output, path: string): FaultSettings {
  if (cfg.response_rate_limit) throw new ConfigError(joinPath(path, 'response_rate_limit'), 'is not supported yet');
  if (cfg.filter_metadata) throw new ConfigError(joinPath(path, 'filter_metadata'), 'is not supported yet');
  const or = (v: string, d: string): string => (v === '' ? d : v);
  return new FaultSettings(
    cfg.delay ? compileDelay(cfg.delay, joinPath(path, 'delay')) : undefined,
    cfg.abort ? compileAbort(cfg.abort, joinPath(path, 'abort')) : undefined,
    cfg.upstream_cluster,
    cfg.headers.map((h, i) => compileHeaderMatcher(h, joinPath(joinPath(path, 'headers'), i))),
    new Set(cfg.downstream_nodes),
    cfg.max_active_faults ? cfg.max_active_faults.value : undefined,
    or(cfg.delay_percent_runtime, 'fault.http.delay.fixed_delay_percent'),
    or(cfg.abort_percent_runtime, 'fault.http.abort.abort_percent'),
    or(cfg.delay_duration_runtime, 'fault.http.delay.fixed_duration_ms'),
    or(cfg.abort_http_status_runtime, 'fault.http.abort.http_status'),
    or(cfg.abort_grpc_status_runtime, 'fault.http.abort.grpc_status'),
    or(cfg.max_active_faults_runtime, 'fault.http.max_active_faults'),
    cfg.disable_downstream_cluster_stats,
  );
}
