import { ConfigError, joinPath } from '@weft/api/lite';
import type { OutlierDetection__Output } from '../envoy-types.js';
import { durationMs, rejectIfSet, wrapped } from '../config-util.js';

/** A validated `outlier_detection` (times in ms, percentages 0..100). Defaults are Envoy's. */
export interface OutlierConfig {
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionTimeJitterMs: number;
  readonly maxEjectionPercent: number;
  readonly alwaysEjectOneHost: boolean;
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly enforcingSuccessRate: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly enforcingFailurePercentage: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** `success_rate_stdev_factor` / 1000. */
  readonly successRateStdevFactor: number;
  readonly failurePercentageThreshold: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly successfulActiveHealthCheckUnejectHost: boolean;
}

type Dur = { seconds: string; nanos: number } | null;

function positiveMs(d: Dur, path: string, def: number): number {
  if (!d) return def;
  if (Number(d.seconds) * 1e9 + d.nanos <= 0) throw new ConfigError(path, 'must be greater than 0');
  return durationMs(d);
}

function percent(v: { value: number } | null, path: string, def: number): number {
  const n = wrapped(v, def);
  if (n > 100) throw new ConfigError(joinPath(path, 'value'), 'must be at most 100');
  return n;
}

/** Parses `outlier_detection` at `path`; throws ConfigError naming the field. */
export function parseOutlierDetection(od: OutlierDetection__Output, path: string): OutlierConfig {
  const p = (f: string): string => joinPath(path, f);
  rejectIfSet(path, 'monitors', od.monitors);
  const baseEjectionTimeMs = positiveMs(od.base_ejection_time, p('base_ejection_time'), 30_000);
  const maxEjectionTimeMs = positiveMs(od.max_ejection_time, p('max_ejection_time'), Math.max(300_000, baseEjectionTimeMs));
  if (maxEjectionTimeMs < baseEjectionTimeMs) {
    throw new ConfigError(p('max_ejection_time'), "outlier detector's max_ejection_time cannot be smaller than base_ejection_time");
  }
  const jitter = od.max_ejection_time_jitter;
  if (jitter && (Number(jitter.seconds) < 0 || jitter.nanos < 0)) {
    throw new ConfigError(p('max_ejection_time_jitter'), 'must not be negative');
  }
  return {
    intervalMs: positiveMs(od.interval, p('interval'), 10_000),
    baseEjectionTimeMs,
    maxEjectionTimeMs,
    maxEjectionTimeJitterMs: jitter ? durationMs(jitter) : 0,
    maxEjectionPercent: percent(od.max_ejection_percent, p('max_ejection_percent'), 10),
    alwaysEjectOneHost: od.always_eject_one_host?.value ?? false,
    consecutive5xx: wrapped(od.consecutive_5xx, 5),
    consecutiveGatewayFailure: wrapped(od.consecutive_gateway_failure, 5),
    consecutiveLocalOriginFailure: wrapped(od.consecutive_local_origin_failure, 5),
    splitExternalLocalOriginErrors: od.split_external_local_origin_errors,
    enforcingConsecutive5xx: percent(od.enforcing_consecutive_5xx, p('enforcing_consecutive_5xx'), 100),
    enforcingConsecutiveGatewayFailure: percent(od.enforcing_consecutive_gateway_failure, p('enforcing_consecutive_gateway_failure'), 0),
    enforcingConsecutiveLocalOriginFailure: percent(
      od.enforcing_consecutive_local_origin_failure,
      p('enforcing_consecutive_local_origin_failure'),
      100,
    ),
    enforcingSuccessRate: percent(od.enforcing_success_rate, p('enforcing_success_rate'), 100),
    enforcingLocalOriginSuccessRate: percent(od.enforcing_local_origin_success_rate, p('enforcing_local_origin_success_rate'), 100),
    enforcingFailurePercentage: percent(od.enforcing_failure_percentage, p('enforcing_failure_percentage'), 0),
    enforcingFailurePercentageLocalOrigin: percent(
      od.enforcing_failure_percentage_local_origin,
      p('enforcing_failure_percentage_local_origin'),
      0,
    ),
    successRateMinimumHosts: wrapped(od.success_rate_minimum_hosts, 5),
    successRateRequestVolume: wrapped(od.success_rate_request_volume, 100),
    successRateStdevFactor: wrapped(od.success_rate_stdev_factor, 1900) / 1000,
    failurePercentageThreshold: percent(od.failure_percentage_threshold, p('failure_percentage_threshold'), 85),
    failurePercentageMinimumHosts: wrapped(od.failure_percentage_minimum_hosts, 5),
    failurePercentageRequestVolume: wrapped(od.failure_percentage_request_volume, 50),
    successfulActiveHealthCheckUnejectHost: od.successful_active_health_check_uneject_host?.value ?? true,
  };
}
