import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import { HealthFlag, NOOP_OUTLIER_MONITOR, type Host } from '../host.js';
import type { OutlierConfig } from './outlier-config.js';
import { EjectionType, HostMonitor, type MonitorOwner } from './host-monitor.js';

const COUNTERS = [
  'ejections_enforced_total',
  'ejections_overflow',
  'ejections_total',
  'ejections_consecutive_5xx',
  'ejections_success_rate',
  'ejections_enforced_consecutive_5xx',
  'ejections_detected_consecutive_5xx',
  'ejections_enforced_success_rate',
  'ejections_detected_success_rate',
  'ejections_enforced_consecutive_gateway_failure',
  'ejections_detected_consecutive_gateway_failure',
  'ejections_enforced_consecutive_local_origin_failure',
  'ejections_detected_consecutive_local_origin_failure',
  'ejections_enforced_local_origin_success_rate',
  'ejections_detected_local_origin_success_rate',
  'ejections_enforced_failure_percentage',
  'ejections_detected_failure_percentage',
  'ejections_enforced_local_origin_failure_percentage',
  'ejections_detected_local_origin_failure_percentage',
] as const;
type CounterName = (typeof COUNTERS)[number];

/** Stat suffix per EjectionType (Envoy's OutlierEjectionType names in stats). */
const TYPE_STAT = [
  'consecutive_5xx',
  'success_rate',
  'consecutive_gateway_failure',
  'consecutive_local_origin_failure',
  'local_origin_success_rate',
  'failure_percentage',
  'local_origin_failure_percentage',
] as const;

export interface DetectorDeps {
  /** The cluster's scope (`cluster.<name>`); stats go under `outlier_detection.`. */
  readonly scope: Scope;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** Uniform uint32 (enforcement draws, ejection jitter). */
  readonly random: () => number;
  /** A host was ejected or returned: the cluster recomputes its healthy hosts. */
  readonly onHostChange: (host: Host) => void;
}

/**
 * Envoy's outlier detector (Outlier::DetectorImpl) for one cluster. Consecutive-error ejections happen as soon as
 * the data path reports the error; success-rate / failure-percentage ejections and unejections on each `interval`
 * sweep (`sweep()`, driven by a timer from `start()` or directly by tests with an injected clock).
 */
export class OutlierDetector implements MonitorOwner {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly split: boolean;
  private readonly monitors = new Map<Host, HostMonitor>();
  private readonly counters: Readonly<Record<CounterName, Counter>>;
  private readonly ejectionsActive: Gauge;
  private active = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Cluster mean / threshold of the last sweep, external and local origin (-1 when not computed). */
  successRateAverage = [-1, -1];
  successRateEjectionThreshold = [-1, -1];

  constructor(
    readonly config: OutlierConfig,
    private readonly deps: DetectorDeps,
  ) {
    this.consecutive5xx = config.consecutive5xx;
    this.consecutiveGatewayFailure = config.consecutiveGatewayFailure;
    this.consecutiveLocalOriginFailure = config.consecutiveLocalOriginFailure;
    this.split = config.splitExternalLocalOriginErrors;
    const scope = deps.scope.scope('outlier_detection');
    const counters: Partial<Record<CounterName, Counter>> = {};
    for (const n of COUNTERS) counters[n] = scope.counter(n);
    this.counters = counters as Record<CounterName, Counter>;
    this.ejectionsActive = scope.gauge('ejections_active', 'accumulate');
  }

  /** Starts the interval sweeps. */
  start(): void {
    if (this.timer === undefined) this.arm();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const h of [...this.monitors.keys()]) this.removeHost(h);
  }

  addHost(host: Host): void {
    if (this.monitors.has(host)) return;
    const m = new HostMonitor(this, host);
    this.monitors.set(host, m);
    host.outlier = m;
  }

  removeHost(host: Host): void {
    const m = this.monitors.get(host);
    if (m === undefined) return;
    m.active = false;
    if (m.ejected) this.setActive(this.active - 1);
    this.monitors.delete(host);
    host.outlier = NOOP_OUTLIER_MONITOR;
  }

  monitor(host: Host): HostMonitor | undefined {
    return this.monitors.get(host);
  }

  /** successful_active_health_check_uneject_host: a passing active check returns an ejected host at once. */
  onActiveHealthCheckSuccess(host: Host): void {
    if (!this.config.successfulActiveHealthCheckUnejectHost) return;
    const m = this.monitors.get(host);
    if (m === undefined || !m.ejected || (host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) !== 0) return;
    this.uneject(m);
  }

  onConsecutiveError(m: HostMonitor, type: EjectionType): void {
    if (!m.active || m.ejected) return;
    this.detected(type);
    this.eject(m, type);
    switch (type) {
      case EjectionType.CONSECUTIVE_5XX:
        this.counters.ejections_consecutive_5xx.inc(); // deprecated, still emitted by Envoy
        m.consecutive5xxCount = 0;
        break;
      case EjectionType.CONSECUTIVE_GATEWAY_FAILURE:
        m.consecutiveGatewayCount = 0;
        break;
      default:
        m.consecutiveLocalCount = 0;
    }
  }

  /** One `interval` sweep: unejections, success-rate and failure-percentage ejections, backoff decay. */
  sweep(): void {
    const now = this.deps.now();
    for (const m of this.monitors.values()) {
      this.checkUneject(m, now);
      m.swapBuckets();
      m.successRate = -1;
      m.localOriginSuccessRate = -1;
    }
    this.processSuccessRate(false);
    this.processSuccessRate(true);
    for (const m of this.monitors.values()) {
      if (m.ejected || m.lastUnejectionAt < 0) continue;
      if (now - m.lastUnejectionAt >= this.config.intervalMs && m.ejectTimeBackoff > 0) m.ejectTimeBackoff--;
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.sweep();
      this.arm();
    }, this.config.intervalMs);
    this.timer.unref();
  }

  private checkUneject(m: HostMonitor, now: number): void {
    if (!m.ejected) return;
    const c = this.config;
    const ejectFor = Math.min(c.baseEjectionTimeMs * m.ejectTimeBackoff, c.maxEjectionTimeMs) + m.jitterMs;
    if (ejectFor <= now - m.lastEjectionAt) this.uneject(m);
  }

  private uneject(m: HostMonitor): void {
    this.setActive(this.active - 1);
    m.host.healthFlags &= ~HealthFlag.FAILED_OUTLIER_CHECK;
    // Counters close to their trigger would re-eject on very few new errors.
    m.resetConsecutive();
    m.lastUnejectionAt = this.deps.now();
    this.deps.onHostChange(m.host);
  }

  private eject(m: HostMonitor, type: EjectionType): void {
    const c = this.config;
    const maxPercent = Math.min(100, c.maxEjectionPercent);
    const ejectedPercent = (100 * (this.active + 1)) / this.monitors.size;
    // Not checked per priority: every host of one priority may be ejected.
    let should = ejectedPercent <= maxPercent;
    if (c.alwaysEjectOneHost && this.active === 0) should = true;
    if (!should) {
      this.counters.ejections_overflow.inc();
      return;
    }
    if (type === EjectionType.CONSECUTIVE_5XX || type === EjectionType.SUCCESS_RATE) this.counters.ejections_total.inc();
    if (!this.enforced(type)) return;
    this.setActive(this.active + 1);
    this.counters.ejections_enforced_total.inc();
    this.stat('enforced', type).inc();
    const now = this.deps.now();
    m.host.healthFlags |= HealthFlag.FAILED_OUTLIER_CHECK;
    m.numEjections++;
    m.lastEjectionAt = now;
    m.jitterMs = this.deps.random() % (c.maxEjectionTimeJitterMs + 1);
    if (m.ejectTimeBackoff * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) m.ejectTimeBackoff++;
    this.deps.onHostChange(m.host);
  }

  private enforced(type: EjectionType): boolean {
    const c = this.config;
    const pct = [
      c.enforcingConsecutive5xx,
      c.enforcingSuccessRate,
      c.enforcingConsecutiveGatewayFailure,
      c.enforcingConsecutiveLocalOriginFailure,
      c.enforcingLocalOriginSuccessRate,
      c.enforcingFailurePercentage,
      c.enforcingFailurePercentageLocalOrigin,
    ][type] as number;
    if (pct >= 100) return true;
    if (pct <= 0) return false;
    return this.deps.random() % 100 < pct;
  }

  private detected(type: EjectionType): void {
    if (type === EjectionType.SUCCESS_RATE || type === EjectionType.SUCCESS_RATE_LOCAL_ORIGIN) {
      this.counters.ejections_success_rate.inc(); // deprecated
    }
    this.stat('detected', type).inc();
  }

  private stat(kind: 'enforced' | 'detected', type: EjectionType): Counter {
    return this.counters[`ejections_${kind}_${TYPE_STAT[type]}` as CounterName];
  }

  private setActive(n: number): void {
    this.active = n;
    this.ejectionsActive.set(n);
  }

  private processSuccessRate(local: boolean): void {
    const c = this.config;
    const idx = local ? 1 : 0;
    this.successRateAverage[idx] = -1;
    this.successRateEjectionThreshold[idx] = -1;
    const n = this.monitors.size;
    if (n < c.successRateMinimumHosts && n < c.failurePercentageMinimumHosts) return;
    const srHosts: HostMonitor[] = [];
    const srRates: number[] = [];
    const fpHosts: HostMonitor[] = [];
    const fpRates: number[] = [];
    let sum = 0;
    for (const m of this.monitors.values()) {
      if (m.ejected) continue;
      const total = local ? m.localLastTotal : m.extLastTotal;
      if (total === 0) continue;
      const rate = ((local ? m.localLastSuccess : m.extLastSuccess) * 100) / total;
      if (total >= Math.min(c.successRateRequestVolume, c.failurePercentageRequestVolume)) {
        if (local) m.localOriginSuccessRate = rate;
        else m.successRate = rate;
      }
      if (total >= c.successRateRequestVolume) {
        srHosts.push(m);
        srRates.push(rate);
        sum += rate;
      }
      if (total >= c.failurePercentageRequestVolume) {
        fpHosts.push(m);
        fpRates.push(rate);
      }
    }
    if (srHosts.length > 0 && srHosts.length >= c.successRateMinimumHosts) {
      const mean = sum / srHosts.length;
      let variance = 0;
      for (const r of srRates) variance += (r - mean) ** 2;
      variance /= srHosts.length;
      const threshold = mean - c.successRateStdevFactor * Math.sqrt(variance);
      this.successRateAverage[idx] = mean;
      this.successRateEjectionThreshold[idx] = threshold;
      const type = local ? EjectionType.SUCCESS_RATE_LOCAL_ORIGIN : EjectionType.SUCCESS_RATE;
      srHosts.forEach((m, i) => {
        if ((srRates[i] as number) < threshold) {
          this.detected(type);
          if (!m.ejected) this.eject(m, type);
        }
      });
    }
    if (fpHosts.length > 0 && fpHosts.length >= c.failurePercentageMinimumHosts) {
      const type = local ? EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN : EjectionType.FAILURE_PERCENTAGE;
      fpHosts.forEach((m, i) => {
        if (100 - (fpRates[i] as number) >= c.failurePercentageThreshold) {
          this.detected(type);
          if (!m.ejected) this.eject(m, type);
        }
      });
    }
  }
}
