import { HealthFlag, OutlierResult, type Host, type OutlierMonitor, type OutlierResultCode } from '../host.js';

/** What the monitor needs from its detector (kept narrow so the two files do not import each other). */
export interface MonitorOwner {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly split: boolean;
  onConsecutiveError(monitor: HostMonitor, type: EjectionType): void;
}

export const EjectionType = {
  CONSECUTIVE_5XX: 0,
  SUCCESS_RATE: 1,
  CONSECUTIVE_GATEWAY_FAILURE: 2,
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE: 3,
  SUCCESS_RATE_LOCAL_ORIGIN: 4,
  FAILURE_PERCENTAGE: 5,
  FAILURE_PERCENTAGE_LOCAL_ORIGIN: 6,
} as const;
export type EjectionType = (typeof EjectionType)[keyof typeof EjectionType];

/**
 * Envoy's DetectorHostMonitorImpl: consecutive-error counters and two success-rate accumulators (external and local
 * origin), each a pair of buckets: the current interval is written, the previous one is read by the detector.
 */
export class HostMonitor implements OutlierMonitor {
  consecutive5xxCount = 0;
  consecutiveGatewayCount = 0;
  consecutiveLocalCount = 0;
  extTotal = 0;
  extSuccess = 0;
  extLastTotal = 0;
  extLastSuccess = 0;
  localTotal = 0;
  localSuccess = 0;
  localLastTotal = 0;
  localLastSuccess = 0;
  numEjections = 0;
  /** Multiplier of base_ejection_time for the current ejection. */
  ejectTimeBackoff = 0;
  lastEjectionAt = -1;
  /** -1 until the first unejection. */
  lastUnejectionAt = -1;
  jitterMs = 0;
  successRate = -1;
  localOriginSuccessRate = -1;
  /** False once the host left the cluster: late reports are ignored. */
  active = true;

  constructor(
    readonly owner: MonitorOwner,
    readonly host: Host,
  ) {}

  get ejected(): boolean {
    return (this.host.healthFlags & HealthFlag.FAILED_OUTLIER_CHECK) !== 0;
  }

  putHttpResponseCode(code: number): void {
    this.extTotal++;
    if (!this.active) return;
    const o = this.owner;
    if (code >= 500 && code < 600) {
      if (code === 502 || code === 503 || code === 504) {
        if (++this.consecutiveGatewayCount === o.consecutiveGatewayFailure) {
          o.onConsecutiveError(this, EjectionType.CONSECUTIVE_GATEWAY_FAILURE);
        }
      } else {
        this.consecutiveGatewayCount = 0;
      }
      if (++this.consecutive5xxCount === o.consecutive5xx) o.onConsecutiveError(this, EjectionType.CONSECUTIVE_5XX);
    } else {
      this.extSuccess++;
      this.consecutive5xxCount = 0;
      this.consecutiveGatewayCount = 0;
    }
  }

  putResult(result: OutlierResultCode, code?: number): void {
    if (this.owner.split) this.putSplit(result);
    else if (code !== undefined) this.putHttpResponseCode(code);
    else {
      const mapped = resultToHttpCode(result);
      if (mapped !== 0) this.putHttpResponseCode(mapped);
    }
  }

  private putSplit(result: OutlierResultCode): void {
    switch (result) {
      case OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS:
      case OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL:
        this.localOriginNoFailure();
        return;
      case OutlierResult.LOCAL_ORIGIN_TIMEOUT:
      case OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED:
        this.localOriginFailure();
        return;
      case OutlierResult.EXT_ORIGIN_REQUEST_FAILED:
        this.putHttpResponseCode(503);
        return;
      case OutlierResult.EXT_ORIGIN_REQUEST_SUCCESS:
        this.putHttpResponseCode(200);
        this.localOriginNoFailure();
        return;
    }
  }

  private localOriginFailure(): void {
    if (!this.active) return;
    this.localTotal++;
    if (++this.consecutiveLocalCount === this.owner.consecutiveLocalOriginFailure) {
      this.owner.onConsecutiveError(this, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE);
    }
  }

  private localOriginNoFailure(): void {
    if (!this.active) return;
    this.localTotal++;
    this.localSuccess++;
    this.consecutiveLocalCount = 0;
  }

  /** Interval boundary: the current buckets become the ones the detector reads. */
  swapBuckets(): void {
    this.extLastTotal = this.extTotal;
    this.extLastSuccess = this.extSuccess;
    this.localLastTotal = this.localTotal;
    this.localLastSuccess = this.localSuccess;
    this.extTotal = this.extSuccess = this.localTotal = this.localSuccess = 0;
  }

  resetConsecutive(): void {
    this.consecutive5xxCount = 0;
    this.consecutiveGatewayCount = 0;
    this.consecutiveLocalCount = 0;
  }
}

/** Non-split mode maps local results to HTTP codes; a plain connect success is not reported (0). */
function resultToHttpCode(result: OutlierResultCode): number {
  switch (result) {
    case OutlierResult.EXT_ORIGIN_REQUEST_SUCCESS:
    case OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL:
      return 200;
    case OutlierResult.LOCAL_ORIGIN_TIMEOUT:
      return 504;
    case OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED:
      return 503;
    case OutlierResult.EXT_ORIGIN_REQUEST_FAILED:
      return 500;
    default:
      return 0;
  }
}
