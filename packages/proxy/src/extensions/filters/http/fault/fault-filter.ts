import type { HeaderMap } from '../../../../interfaces/header-map.js';
import { FilterStatus, type StreamDecoderFilter, type StreamFilterCallbacks } from '../../../../interfaces/http-filter.js';
import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { Runtime } from '../../../../interfaces/runtime.js';
import type { Counter, Gauge, Scope } from '../../../../interfaces/stats.js';
import { mostSpecificPerRouteConfig } from '../../../../router/per-filter-config.js';
import { Deadline, type DeadlineOwner, type DeadlineQueues } from '../../../../server/deadline-queue.js';
import { FaultSettings } from './fault-settings.js';
import type { Fraction } from '../../../../server/fraction.js';

/** `http.<stat_prefix>.fault.*`. */
export interface FaultStats {
  readonly scope: Scope;
  readonly delaysInjected: Counter;
  readonly abortsInjected: Counter;
  readonly faultsOverflow: Counter;
  readonly responseRlInjected: Counter;
  readonly activeFaults: Gauge;
}

export function createFaultStats(root: Scope, hcmStatPrefix: string): FaultStats {
  const scope = root.scope(`http.${hcmStatPrefix}.fault`);
  return {
    scope,
    delaysInjected: scope.counter('delays_injected'),
    abortsInjected: scope.counter('aborts_injected'),
    faultsOverflow: scope.counter('faults_overflow'),
    responseRlInjected: scope.counter('response_rl_injected'),
    activeFaults: scope.gauge('active_faults'),
  };
}

export interface FaultFilterConfig {
  readonly settings: FaultSettings;
  readonly filterName: string;
  readonly stats: FaultStats;
  readonly runtime: Runtime;
  readonly deadlines: DeadlineQueues;
}

function random32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * envoy.filters.http.fault: injects a delay (deadline-queue timer, cancelled when the stream ends) and/or an abort
 * (local reply with response flag FI; gRPC requests get a gRPC status). Delays are followed by the abort check.
 */
export class FaultFilter implements StreamDecoderFilter, DeadlineOwner {
  readonly deadline = new Deadline(this);

  private cb!: StreamFilterCallbacks;
  private settings: FaultSettings;
  private faultActive = false;
  private delaying = false;
  /** x-envoy-downstream-service-cluster, '' when absent. */
  private downstreamCluster = '';

  constructor(private readonly config: FaultFilterConfig) {
    this.settings = config.settings;
  }

  setDecoderCallbacks(callbacks: StreamFilterCallbacks): void {
    this.cb = callbacks;
  }

  decodeHeaders(): FilterStatus {
    const cb = this.cb;
    const s = mostSpecificPerRouteConfig(cb.route, this.config.filterName, FaultSettings) ?? this.config.settings;
    this.settings = s;
    const headers = cb.request.headers;
    if (s.upstreamCluster !== '' && !this.matchesUpstreamCluster(s.upstreamCluster)) return FilterStatus.Continue;
    if (s.downstreamNodes.size > 0) {
      const node = headers.get('x-envoy-downstream-service-node');
      if (node === undefined || !s.downstreamNodes.has(node)) return FilterStatus.Continue;
    }
    for (const m of s.headers) if (!m.matches(cb.routeRequest)) return FilterStatus.Continue;
    this.downstreamCluster = headers.get('x-envoy-downstream-service-cluster') ?? '';
    const delay = this.delayDuration(headers);
    if (delay !== undefined && this.tryIncActiveFaults()) {
      this.delaying = true;
      this.config.deadlines.schedule(this.deadline, delay);
      this.countDownstream('delays_injected');
      this.config.stats.delaysInjected.inc();
      cb.info.setResponseFlag(ResponseFlag.DelayInjected);
      return FilterStatus.StopIteration;
    }
    return this.maybeAbort(headers) ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  decodeData(): FilterStatus {
    return this.delaying ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  decodeTrailers(): FilterStatus {
    return this.delaying ? FilterStatus.StopIteration : FilterStatus.Continue;
  }

  /** The delay elapsed: abort if enabled, else resume the request. */
  onDeadline(): void {
    this.delaying = false;
    if (this.maybeAbort(this.cb.request.headers)) return;
    // The delay is over: it no longer counts as an active fault.
    if (this.faultActive) {
      this.faultActive = false;
      this.config.stats.activeFaults.dec();
    }
    this.cb.continueDecoding();
  }

  onDestroy(): void {
    this.deadline.cancel();
    this.delaying = false;
    if (this.faultActive) {
      this.faultActive = false;
      this.config.stats.activeFaults.dec();
    }
  }

  private matchesUpstreamCluster(name: string): boolean {
    const route = this.cb.route;
    if (route === undefined || route.action.kind !== 'route') return false;
    return route.action.pickCluster(this.cb.routeRequest)?.name === name;
  }

  private runtimeKey(suffix: string): string {
    return `fault.http.${this.downstreamCluster}.${suffix}`;
  }

  private enabled(key: string, downstreamSuffix: string, p: Fraction): boolean {
    const rt = this.config.runtime;
    if (this.downstreamCluster !== '') return rt.featureEnabled(this.runtimeKey(downstreamSuffix), p.numerator, p.denominator, random32());
    return rt.featureEnabled(key, p.numerator, p.denominator, random32());
  }

  private delayDuration(headers: HeaderMap): number | undefined {
    const s = this.settings;
    const d = s.delay;
    if (d === undefined || !this.enabled(s.delayPercentRuntime, 'delay.fixed_delay_percent', d.percent(headers))) return undefined;
    const configured = d.durationMs(headers);
    if (configured === undefined) return undefined;
    const rt = this.config.runtime;
    let ms = rt.getNumber(s.delayDurationRuntime, configured);
    if (this.downstreamCluster !== '') ms = rt.getNumber(this.runtimeKey('delay.fixed_duration_ms'), ms);
    return ms > 0 ? ms : undefined;
  }

  private maybeAbort(headers: HeaderMap): boolean {
    const s = this.settings;
    const a = s.abort;
    if (a === undefined || !this.enabled(s.abortPercentRuntime, 'abort.abort_percent', a.percent(headers))) return false;
    const rt = this.config.runtime;
    let status: number;
    let grpcStatus: number | undefined;
    const http = a.httpStatus(headers);
    if (http !== undefined) {
      status = rt.getNumber(s.abortHttpStatusRuntime, http);
      if (this.downstreamCluster !== '') status = rt.getNumber(this.runtimeKey('abort.http_status'), http);
    } else {
      const grpc = a.grpcStatus(headers);
      if (grpc === undefined) return false;
      // A gRPC abort is an HTTP 200 carrying the gRPC status.
      status = 200;
      grpcStatus = rt.getNumber(s.abortGrpcStatusRuntime, grpc);
      if (this.downstreamCluster !== '') grpcStatus = rt.getNumber(this.runtimeKey('abort.grpc_status'), grpc);
    }
    if (!this.tryIncActiveFaults()) return false;
    this.countDownstream('aborts_injected');
    this.config.stats.abortsInjected.inc();
    const opts = grpcStatus === undefined
      ? { flags: ResponseFlag.FaultInjected, details: 'fault_filter_abort' }
      : { flags: ResponseFlag.FaultInjected, details: 'fault_filter_abort', grpcStatus };
    this.cb.sendLocalReply(status, 'fault filter abort', opts);
    return true;
  }

  /** One active fault per stream; refused (faults_overflow) at max_active_faults. */
  private tryIncActiveFaults(): boolean {
    if (this.faultActive) return true;
    const s = this.settings;
    const stats = this.config.stats;
    const max = this.config.runtime.getNumber(s.maxActiveFaultsRuntime, s.maxActiveFaults ?? Infinity);
    if (stats.activeFaults.value() >= max) {
      stats.faultsOverflow.inc();
      return false;
    }
    stats.activeFaults.inc();
    this.faultActive = true;
    return true;
  }

  private countDownstream(stat: string): void {
    if (this.downstreamCluster === '' || this.settings.disableDownstreamClusterStats) return;
    this.config.stats.scope.counter(`${this.downstreamCluster}.${stat}`).inc();
  }
}
