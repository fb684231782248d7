import { ConfigError, joinPath } from '@weft/api/lite';
import type { HeaderValueOption__Output } from '@weft/api/envoy/envoy/config/core/v3/HeaderValueOption.js';
import type { HealthCheck__Output } from '../envoy-types.js';
import { durationMs, rejectIfSet } from '../config-util.js';
import { compileStringMatcher, type StringMatcher } from '../../router/string-matcher.js';

type Payload = { text?: string; binary?: Buffer; payload?: 'text' | 'binary' } | null;
type Dur = { seconds: string; nanos: number } | null;

export interface HcHeader {
  readonly name: string;
  readonly value: string;
  /** append (add a value) rather than overwrite. */
  readonly append: boolean;
}

export interface HttpCheckConfig {
  readonly kind: 'http';
  /** `host`, or the cluster name when empty (Envoy's default :authority). */
  readonly host: string;
  readonly path: string;
  readonly method: string;
  readonly headersToAdd: readonly HcHeader[];
  readonly headersToRemove: readonly string[];
  /** [start, end) ranges; default 200 only. */
  readonly expectedStatuses: ReadonlyArray<readonly [number, number]>;
  readonly retriableStatuses: ReadonlyArray<readonly [number, number]>;
  /** `service_name_matcher`: the answer's `x-envoy-upstream-healthchecked-cluster` must match. */
  readonly serviceNameMatcher: StringMatcher | undefined;
}

export interface TcpCheckConfig {
  readonly kind: 'tcp';
  readonly send: Buffer | undefined;
  /** Blocks that must all be found, in order, in what the host answers (empty: connecting is enough). */
  readonly receive: readonly Buffer[];
}

export interface GrpcCheckConfig {
  readonly kind: 'grpc';
  readonly serviceName: string;
  /** `authority`, or the cluster name when empty. */
  readonly authority: string;
  readonly initialMetadata: readonly HcHeader[];
}

/** A validated `HealthCheck` (times in ms). Defaults are Envoy's. */
export interface HealthCheckConfig {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  readonly initialJitterMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly noTrafficIntervalMs: number;
  readonly noTrafficHealthyIntervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly unhealthyEdgeIntervalMs: number;
  readonly healthyEdgeIntervalMs: number;
  readonly reuseConnection: boolean;
  readonly check: HttpCheckConfig | TcpCheckConfig | GrpcCheckConfig;
}

function requiredPositive(d: Dur, path: string): number {
  if (!d) throw new ConfigError(path, 'is required');
  return positive(d, path, 0);
}

function positive(d: Dur, path: string, def: number): number {
  if (!d) return def;
  if (Number(d.seconds) * 1e9 + d.nanos <= 0) throw new ConfigError(path, 'must be greater than 0');
  return durationMs(d);
}

function nonNegative(d: Dur, path: string): number {
  if (!d) return 0;
  if (Number(d.seconds) < 0 || d.nanos < 0) throw new ConfigError(path, 'must not be negative');
  return durationMs(d);
}

/** `Payload`: `text` is hex (Envoy's "hex encoded payload"), `binary` raw bytes. */
export function parsePayload(p: Payload, path: string): Buffer {
  if (!p || !p.payload) throw new ConfigError(path, 'one of text or binary is required');
  if (p.payload === 'binary') return p.binary ?? Buffer.alloc(0);
  const text = (p.text ?? '').replace(/\s/g, '');
  if (text === '' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ConfigError(joinPath(path, 'text'), `invalid hex string '${p.text ?? ''}'`);
  }
  return Buffer.from(text, 'hex');
}

const INVALID_HEADER = /[\0\r\n]/;

function parseHeaders(list: readonly HeaderValueOption__Output[], path: string): HcHeader[] {
  return list.map((o, i) => {
    const p = joinPath(path, i);
    const h = o.header;
    if (!h || h.key === '' || INVALID_HEADER.test(h.key)) throw new ConfigError(joinPath(p, 'header.key'), 'is not a valid header name');
    const value = h.raw_value.length > 0 ? h.raw_value.toString('latin1') : h.value;
    const vp = joinPath(p, 'header.value');
    if (INVALID_HEADER.test(value)) throw new ConfigError(vp, 'is not a valid header value');
    // Envoy formats these with its substitution formatter; plain values only here.
    if (value.includes('%')) throw new ConfigError(vp, 'header formatters (%...%) are not supported in health checks yet');
    const name = h.key.toLowerCase();
    if (name.startsWith(':') || name === 'host') throw new ConfigError(joinPath(p, 'header.key'), ':-prefixed or host headers may not be modified');
    let append = o.append_action === 'APPEND_IF_EXISTS_OR_ADD';
    if (o.append_action !== 'APPEND_IF_EXISTS_OR_ADD' && o.append_action !== 'OVERWRITE_IF_EXISTS_OR_ADD') {
      throw new ConfigError(joinPath(p, 'append_action'), `${o.append_action} is not supported in health checks yet`);
    }
    if (o.append) append = o.append.value;
    return { name, value, append };
  });
}

function parseRanges(list: ReadonlyArray<{ start: string; end: string }>, path: string, def: Array<[number, number]>): Array<[number, number]> {
  if (list.length === 0) return def;
  return list.map((r, i) => {
    const start = Number(r.start);
    const end = Number(r.end);
    if (start < 100 || end > 600 || start >= end) {
      throw new ConfigError(joinPath(path, i), `Invalid http status range: expecting start < end and 100 <= start, end <= 600, but found start=${start} and end=${end}`);
    }
    return [start, end];
  });
}

function parseCheck(hc: HealthCheck__Output, path: string): HealthCheckConfig['check'] {
  switch (hc.health_checker) {
    case 'http_health_check': {
      const h = hc.http_health_check;
      const p = joinPath(path, 'http_health_check');
      if (!h) throw new ConfigError(p, 'is required');
      if (h.path === '') throw new ConfigError(joinPath(p, 'path'), 'must not be empty');
      if (h.codec_client_type !== 'HTTP1') throw new ConfigError(joinPath(p, 'codec_client_type'), `${h.codec_client_type} health checks are not supported yet`);
      if (h.method === 'CONNECT') throw new ConfigError(joinPath(p, 'method'), 'CONNECT is not allowed');
      rejectIfSet(p, 'send', h.send);
      rejectIfSet(p, 'receive', h.receive);
      rejectIfSet(p, 'response_buffer_size', h.response_buffer_size);
      return {
        kind: 'http',
        host: h.host,
        path: h.path,
        method: h.method === 'METHOD_UNSPECIFIED' ? 'GET' : h.method,
        headersToAdd: parseHeaders(h.request_headers_to_add, joinPath(p, 'request_headers_to_add')),
        headersToRemove: h.request_headers_to_remove.map((n) => n.toLowerCase()),
        expectedStatuses: parseRanges(h.expected_statuses, joinPath(p, 'expected_statuses'), [[200, 201]]),
        retriableStatuses: parseRanges(h.retriable_statuses, joinPath(p, 'retriable_statuses'), []),
        serviceNameMatcher: h.service_name_matcher ? compileStringMatcher(h.service_name_matcher, joinPath(p, 'service_name_matcher')) : undefined,
      };
    }
    case 'tcp_health_check': {
      const t = hc.tcp_health_check;
      const p = joinPath(path, 'tcp_health_check');
      if (!t) throw new ConfigError(p, 'is required');
      rejectIfSet(p, 'proxy_protocol_config', t.proxy_protocol_config);
      return {
        kind: 'tcp',
        send: t.send ? parsePayload(t.send, joinPath(p, 'send')) : undefined,
        receive: t.receive.map((r, i) => parsePayload(r, joinPath(joinPath(p, 'receive'), i))),
      };
    }
    case 'grpc_health_check': {
      const g = hc.grpc_health_check;
      const p = joinPath(path, 'grpc_health_check');
      if (!g) throw new ConfigError(p, 'is required');
      return {
        kind: 'grpc',
        serviceName: g.service_name,
        authority: g.authority,
        initialMetadata: parseHeaders(g.initial_metadata, joinPath(p, 'initial_metadata')),
      };
    }
    case 'custom_health_check':
      throw new ConfigError(joinPath(path, 'custom_health_check'), `${hc.custom_health_check?.name ?? 'custom'} health checks are not supported yet`);
    default:
      throw new ConfigError(path, 'one of http_health_check, tcp_health_check or grpc_health_check is required');
  }
}

/** Parses one `health_checks` entry at `path`; throws ConfigError naming the field. */
export function parseHealthCheck(hc: HealthCheck__Output, path: string): HealthCheckConfig {
  const p = (f: string): string => joinPath(path, f);
  rejectIfSet(path, 'alt_port', hc.alt_port);
  rejectIfSet(path, 'event_log_path', hc.event_log_path);
  rejectIfSet(path, 'event_logger', hc.event_logger);
  rejectIfSet(path, 'event_service', hc.event_service);
  rejectIfSet(path, 'always_log_health_check_failures', hc.always_log_health_check_failures);
  rejectIfSet(path, 'always_log_health_check_success', hc.always_log_health_check_success);
  rejectIfSet(path, 'tls_options', hc.tls_options);
  rejectIfSet(path, 'transport_socket_match_criteria', hc.transport_socket_match_criteria);
  if (!hc.unhealthy_threshold) throw new ConfigError(p('unhealthy_threshold'), 'is required');
  if (!hc.healthy_threshold) throw new ConfigError(p('healthy_threshold'), 'is required');
  const intervalMs = requiredPositive(hc.interval, p('interval'));
  const noTrafficIntervalMs = positive(hc.no_traffic_interval, p('no_traffic_interval'), 60_000);
  const unhealthyIntervalMs = positive(hc.unhealthy_interval, p('unhealthy_interval'), intervalMs);
  return {
    timeoutMs: requiredPositive(hc.timeout, p('timeout')),
    intervalMs,
    intervalJitterMs: nonNegative(hc.interval_jitter, p('interval_jitter')),
    intervalJitterPercent: hc.interval_jitter_percent,
    initialJitterMs: nonNegative(hc.initial_jitter, p('initial_jitter')),
    unhealthyThreshold: hc.unhealthy_threshold.value,
    healthyThreshold: hc.healthy_threshold.value,
    noTrafficIntervalMs,
    noTrafficHealthyIntervalMs: positive(hc.no_traffic_healthy_interval, p('no_traffic_healthy_interval'), noTrafficIntervalMs),
    unhealthyIntervalMs,
    unhealthyEdgeIntervalMs: positive(hc.unhealthy_edge_interval, p('unhealthy_edge_interval'), unhealthyIntervalMs),
    healthyEdgeIntervalMs: positive(hc.healthy_edge_interval, p('healthy_edge_interval'), intervalMs),
    reuseConnection: hc.reuse_connection ? hc.reuse_connection.value : true,
    check: parseCheck(hc, path),
  };
}
