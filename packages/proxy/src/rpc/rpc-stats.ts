import type { Counter, Gauge, Histogram, Scope } from '../interfaces/stats.js';
import type { RpcLocalStatus } from '../interfaces/rpc-codec.js';

/** `rpc.<stat_prefix>.*`: Envoy dubbo_proxy / thrift_proxy-style names. */
export interface RpcProxyStats {
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxProtocolError: Counter;
  readonly cxIdleTimeout: Counter;
  readonly cxDrainClose: Counter;
  readonly goawaySent: Counter;
  readonly pausedReading: Counter;
  readonly resumedReading: Counter;
  readonly request: Counter;
  readonly requestOneway: Counter;
  readonly requestHeartbeat: Counter;
  readonly requestActive: Gauge;
  readonly requestTime: Histogram;
  readonly response: Counter;
  readonly responseSuccess: Counter;
  readonly responseError: Counter;
  readonly unknownCodec: Counter;
  readonly upstreamHeartbeat: Counter;
  readonly upstreamHeartbeatTimeout: Counter;
  readonly localReply: Readonly<Record<RpcLocalStatus, Counter>>;
  /** `fault.delays_injected`, `fault.aborts_injected` (Envoy's fault filter names). */
  readonly faultDelaysInjected: Counter;
  readonly faultAbortsInjected: Counter;
  /** `local_rate_limit.rate_limited` / `.ok`, for routes with a local rate limit. */
  readonly rateLimited: Counter;
  readonly rateLimitOk: Counter;
  /** Per service and method, created on first use (bounded: see MAX_METHOD_STATS). */
  method(service: string, method: string): MethodStats;
}

export interface MethodStats {
  readonly request: Counter;
  readonly responseSuccess: Counter;
  readonly responseError: Counter;
  readonly localReply: Counter;
  readonly requestTime: Histogram;
}

/** Service and method names come from clients: beyond this many pairs, they are counted under `other.other`. */
const MAX_METHOD_STATS = 1000;

const LOCAL_STATUSES: readonly RpcLocalStatus[] = [
  'no_route', 'no_healthy_upstream', 'upstream_unavailable', 'timeout', 'overflow', 'rate_limited', 'fault_abort', 'bad_request',
];

/** Stat name segments must not contain the separator. */
function segment(s: string): string {
  return s === '' ? 'unknown' : s.replace(/[.:\s]/g, '_');
}

export function createRpcProxyStats(scope: Scope): RpcProxyStats {
  const localReply = {} as Record<RpcLocalStatus, Counter>;
  for (const s of LOCAL_STATUSES) localReply[s] = scope.counter(`local_reply_${s}`);
  const methods = new Map<string, MethodStats>();
  // Consecutive calls mostly name the same method, with the same (cached) strings: checked before the map.
  let lastService = '';
  let lastMethod = '';
  let last: MethodStats | undefined;
  const makeMethod = (service: string, method: string): MethodStats => {
    const s = scope.scope(`service.${segment(service)}.${segment(method)}`);
    return {
      request: s.counter('request'),
      responseSuccess: s.counter('response_success'),
      responseError: s.counter('response_error'),
      localReply: s.counter('local_reply'),
      requestTime: s.histogram('request_time_ms', 'milliseconds'),
    };
  };
  return {
    cxTotal: scope.counter('downstream_cx_total'),
    cxActive: scope.gauge('downstream_cx_active', 'accumulate'),
    cxProtocolError: scope.counter('downstream_cx_protocol_error'),
    cxIdleTimeout: scope.counter('downstream_cx_idle_timeout'),
    cxDrainClose: scope.counter('downstream_cx_drain_close'),
    goawaySent: scope.counter('downstream_goaway_sent'),
    pausedReading: scope.counter('downstream_flow_control_paused_reading_total'),
    resumedReading: scope.counter('downstream_flow_control_resumed_reading_total'),
    request: scope.counter('request'),
    requestOneway: scope.counter('request_oneway'),
    requestHeartbeat: scope.counter('request_heartbeat'),
    requestActive: scope.gauge('request_active', 'accumulate'),
    requestTime: scope.histogram('request_time_ms', 'milliseconds'),
    response: scope.counter('response'),
    responseSuccess: scope.counter('response_success'),
    responseError: scope.counter('response_error'),
    unknownCodec: scope.counter('downstream_cx_unknown_protocol'),
    upstreamHeartbeat: scope.counter('upstream_heartbeat'),
    upstreamHeartbeatTimeout: scope.counter('upstream_heartbeat_timeout'),
    localReply,
    faultDelaysInjected: scope.counter('fault.delays_injected'),
    faultAbortsInjected: scope.counter('fault.aborts_injected'),
    rateLimited: scope.counter('local_rate_limit.rate_limited'),
    rateLimitOk: scope.counter('local_rate_limit.ok'),
    method(service, method) {
      if (last !== undefined && service === lastService && method === lastMethod) return last;
      const key = `${service}\u0001${method}`;
      let m = methods.get(key);
      if (m === undefined) {
        if (methods.size >= MAX_METHOD_STATS) return (methods.get('\u0002') ?? setOther());
        m = makeMethod(service, method);
        methods.set(key, m);
      }
      lastService = service;
      lastMethod = method;
      last = m;
      return m;
    },
  };
  function setOther(): MethodStats {
    const m = makeMethod('other', 'other');
    methods.set('\u0002', m);
    return m;
  }
}
