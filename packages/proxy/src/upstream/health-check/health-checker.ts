import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import { HealthFlag, NOOP_HC_MONITOR, type HealthCheckHostMonitor, type Host } from '../host.js';
import type { HealthCheckConfig } from './hc-config.js';
import { GrpcProbe } from './grpc-probe.js';
import { HttpProbe } from './http-probe.js';
import { ProbeOutcome, type Probe, type ProbeCallbacks, type ProbeFactory } from './probe.js';
import { TcpProbe } from './tcp-probe.js';

const FAIL_ACTIVE = 0;
const FAIL_PASSIVE = 1;
const FAIL_NETWORK = 2;
const FAIL_NETWORK_TIMEOUT = 3;

const UNCHANGED = 0;
const CHANGED = 1;
const CHANGE_PENDING = 2;

export interface HealthCheckerDeps {
  /** The cluster's scope (`cluster.<name>`): stats go under `health_check.`. */
  readonly scope: Scope;
  readonly clusterName: string;
  /** Uniform uint32 (jitter). */
  readonly random: () => number;
  /** Whether the cluster has carried traffic (else `no_traffic_interval` applies). */
  readonly hadTraffic: () => boolean;
  /** A host's health flags changed: the cluster recomputes its healthy hosts. */
  readonly onHostChange: (host: Host) => void;
  /** Every check that passed (outlier detection may return an ejected host). */
  readonly onCheckSuccess?: ((host: Host) => void) | undefined;
  /** Tests replace the protocol probes. */
  readonly probeFactory?: ProbeFactory | undefined;
}

interface Stats {
  readonly attempt: Counter;
  readonly success: Counter;
  readonly failure: Counter;
  readonly passive_failure: Counter;
  readonly network_failure: Counter;
  readonly verify_cluster: Counter;
  readonly healthy: Gauge;
  readonly degraded: Gauge;
}

/** One host's checking loop (Envoy's ActiveHealthCheckSession): thresholds, intervals, timeout. */
class Session implements ProbeCallbacks, HealthCheckHostMonitor {
  numHealthy = 0;
  numUnhealthy = 0;
  firstCheck = true;
  closed = false;
  private intervalTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly probe: Probe;

  constructor(
    private readonly checker: HealthChecker,
    readonly host: Host,
  ) {
    this.probe = checker.makeProbe(host, this);
    if ((host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) === 0) checker.stats.healthy.inc();
    if ((host.healthFlags & HealthFlag.DEGRADED_ACTIVE_HC) !== 0) checker.stats.degraded.inc();
  }

  start(): void {
    const jitter = this.checker.config.initialJitterMs;
    if (jitter === 0) this.onInterval();
    else this.arm(this.checker.intervalWithJitter(0, jitter));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.intervalTimer);
    clearTimeout(this.timeoutTimer);
    this.probe.close();
    const s = this.checker.stats;
    if ((this.host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) === 0) s.healthy.dec();
    if ((this.host.healthFlags & HealthFlag.DEGRADED_ACTIVE_HC) !== 0) s.degraded.dec();
  }

  private arm(ms: number): void {
    if (this.closed) return;
    this.intervalTimer = setTimeout(() => this.onInterval(), ms);
    this.intervalTimer.unref();
  }

  private onInterval(): void {
    if (this.closed) return;
    this.timeoutTimer = setTimeout(() => this.onTimeout(), this.checker.config.timeoutMs);
    this.timeoutTimer.unref();
    this.checker.stats.attempt.inc();
    this.probe.start();
  }

  private onTimeout(): void {
    this.timeoutTimer = undefined;
    this.probe.cancel();
    this.handleFailure(FAIL_NETWORK_TIMEOUT, false);
  }

  onProbeDone(outcome: ProbeOutcome): void {
    if (this.closed) return;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    switch (outcome) {
      case ProbeOutcome.HEALTHY:
      case ProbeOutcome.DEGRADED:
        this.handleSuccess(outcome === ProbeOutcome.DEGRADED);
        return;
      case ProbeOutcome.NETWORK:
        this.handleFailure(FAIL_NETWORK, false);
        return;
      default:
        this.handleFailure(FAIL_ACTIVE, outcome === ProbeOutcome.FAILED_RETRIABLE);
    }
  }

  onImmediateFail(): void {
    this.host.healthFlags |= HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL;
  }

  /** Data path: `x-envoy-immediate-health-check-fail` in an upstream response. */
  setUnhealthyImmediate(): void {
    if (this.closed) return;
    const before = this.host.healthFlags;
    this.host.healthFlags |= HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL;
    const changed = this.setUnhealthy(FAIL_PASSIVE, false);
    if (changed !== CHANGED && before !== this.host.healthFlags) this.checker.deps.onHostChange(this.host);
  }

  private handleSuccess(degraded: boolean): void {
    const host = this.host;
    const c = this.checker;
    this.numUnhealthy = 0;
    let changed = UNCHANGED;
    if ((host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) !== 0) {
      // The very first result counts at once: faster startup, as in Envoy.
      if (this.firstCheck || ++this.numHealthy === c.config.healthyThreshold) {
        host.healthFlags &= ~(HealthFlag.ACTIVE_HC_TIMEOUT | HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL | HealthFlag.FAILED_ACTIVE_HC);
        c.stats.healthy.inc();
        changed = CHANGED;
      } else {
        changed = CHANGE_PENDING;
      }
    }
    changed = this.clearPending(changed);
    if (degraded !== ((host.healthFlags & HealthFlag.DEGRADED_ACTIVE_HC) !== 0)) {
      if (degraded) {
        host.healthFlags |= HealthFlag.DEGRADED_ACTIVE_HC;
        c.stats.degraded.inc();
      } else {
        host.healthFlags &= ~HealthFlag.DEGRADED_ACTIVE_HC;
        c.stats.degraded.dec();
      }
      if (changed === UNCHANGED) changed = CHANGED;
    }
    c.stats.success.inc();
    this.completed(changed);
    c.deps.onCheckSuccess?.(host);
    this.arm(c.interval(true, changed));
  }

  private handleFailure(type: number, retriable: boolean): void {
    const changed = this.setUnhealthy(type, retriable);
    this.arm(this.checker.interval(false, changed));
  }

  private setUnhealthy(type: number, retriable: boolean): number {
    const host = this.host;
    const c = this.checker;
    const network = type === FAIL_NETWORK || type === FAIL_NETWORK_TIMEOUT;
    this.numHealthy = 0;
    let changed = UNCHANGED;
    if ((host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) === 0) {
      if ((!network && !retriable) || ++this.numUnhealthy === c.config.unhealthyThreshold) {
        host.healthFlags |= HealthFlag.FAILED_ACTIVE_HC;
        c.stats.healthy.dec();
        changed = CHANGED;
      } else {
        changed = CHANGE_PENDING;
      }
    }
    // Lets a host toggle between timing out and failing for other reasons.
    if (type === FAIL_NETWORK_TIMEOUT && (host.healthFlags & HealthFlag.FAILED_ACTIVE_HC) !== 0) host.healthFlags |= HealthFlag.ACTIVE_HC_TIMEOUT;
    else host.healthFlags &= ~HealthFlag.ACTIVE_HC_TIMEOUT;
    changed = this.clearPending(changed);
    c.stats.failure.inc();
    if (network) c.stats.network_failure.inc();
    else if (type === FAIL_PASSIVE) c.stats.passive_failure.inc();
    this.completed(changed);
    return changed;
  }

  private clearPending(changed: number): number {
    if ((this.host.healthFlags & HealthFlag.PENDING_ACTIVE_HC) === 0) return changed;
    this.host.healthFlags &= ~HealthFlag.PENDING_ACTIVE_HC;
    return CHANGED;
  }

  private completed(changed: number): void {
    const first = this.firstCheck;
    this.firstCheck = false;
    if (changed === CHANGED) this.checker.deps.onHostChange(this.host);
    if (first) this.checker.firstCheckDone(this);
  }
}

/**
 * Envoy's active health checker for one cluster (HTTP, TCP or gRPC). With `--concurrency N` every worker process
 * runs its own checker against every host: simple and correct (each worker's view is its own), at the cost of N
 * times the checks; the admin view merges them (a host failed in any worker is shown failed).
 */
export class HealthChecker {
  readonly stats: Stats;
  private readonly sessions = new Map<Host, Session>();
  private readonly pendingFirst = new Set<Session>();
  private firstRoundWaiters: Array<() => void> = [];
  private started = false;

  constructor(
    readonly config: HealthCheckConfig,
    readonly deps: HealthCheckerDeps,
  ) {
    const s = deps.scope.scope('health_check');
    this.stats = {
      attempt: s.counter('attempt'),
      success: s.counter('success'),
      failure: s.counter('failure'),
      passive_failure: s.counter('passive_failure'),
      network_failure: s.counter('network_failure'),
      verify_cluster: s.counter('verify_cluster'),
      healthy: s.gauge('healthy', 'accumulate'),
      degraded: s.gauge('degraded', 'accumulate'),
    };
  }

  makeProbe(host: Host, cb: ProbeCallbacks): Probe {
    if (this.deps.probeFactory) return this.deps.probeFactory(host, cb);
    const check = this.config.check;
    const reuse = this.config.reuseConnection;
    switch (check.kind) {
      case 'http':
        return new HttpProbe(host, check, this.deps.clusterName, reuse, cb, this.stats.verify_cluster);
      case 'tcp':
        return new TcpProbe(host, check, reuse, cb);
      default:
        return new GrpcProbe(host, check, this.deps.clusterName, reuse, cb);
    }
  }

  /** Starts checking every host added so far; later hosts start when added. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.sessions.values()) this.startSession(s);
  }

  /** Resolves when every host known now has had its first check (cluster warming). */
  firstRound(): Promise<void> {
    if (this.pendingFirst.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.firstRoundWaiters.push(resolve));
  }

  addHost(host: Host): void {
    if (this.sessions.has(host)) return;
    const s = new Session(this, host);
    this.sessions.set(host, s);
    host.healthChecker = s;
    if (this.started) this.startSession(s);
    else this.pendingFirst.add(s);
  }

  removeHost(host: Host): void {
    const s = this.sessions.get(host);
    if (s === undefined) return;
    this.sessions.delete(host);
    host.healthChecker = NOOP_HC_MONITOR;
    s.close();
    this.firstCheckDone(s);
  }

  close(): void {
    for (const h of [...this.sessions.keys()]) this.removeHost(h);
    this.pendingFirst.clear();
    this.wakeFirstRound();
  }

  firstCheckDone(s: Session): void {
    if (this.pendingFirst.delete(s) && this.pendingFirst.size === 0) this.wakeFirstRound();
  }

  /** Envoy's HealthCheckerImplBase::interval. */
  interval(healthy: boolean, changed: number): number {
    const c = this.config;
    let base: number;
    if (this.deps.hadTraffic()) {
      if (!healthy) base = changed === CHANGE_PENDING ? c.unhealthyEdgeIntervalMs : c.unhealthyIntervalMs;
      else base = changed === CHANGE_PENDING ? c.healthyEdgeIntervalMs : c.intervalMs;
    } else {
      base = healthy && changed !== CHANGE_PENDING ? c.noTrafficHealthyIntervalMs : c.noTrafficIntervalMs;
    }
    return this.intervalWithJitter(base, c.intervalJitterMs);
  }

  intervalWithJitter(baseMs: number, jitterMs: number): number {
    let ms = baseMs;
    const percentMod = Math.floor((this.config.intervalJitterPercent * baseMs) / 100);
    if (percentMod > 0) ms += this.deps.random() % percentMod;
    if (jitterMs > 0) ms += this.deps.random() % jitterMs;
    return Math.max(1, ms);
  }

  private startSession(s: Session): void {
    this.pendingFirst.add(s);
    s.start();
  }

  private wakeFirstRound(): void {
    const waiters = this.firstRoundWaiters;
    this.firstRoundWaiters = [];
    for (const w of waiters) w();
  }
}
