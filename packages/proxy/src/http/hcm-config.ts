import { ConfigError, joinPath } from '@weft/api/lite';
import type { HttpConnectionManager__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { Cidr } from '../network/cidr.js';
import { Cidr as CidrClass } from '../network/cidr.js';
import { durationMs } from '../server/duration.js';
import type { FactoryContext } from '../server/factory-context.js';
import { compileRouteConfiguration, type RouteTable, type StripPortMode } from '../router/route-table.js';
import type { RouteProvider } from './route-provider.js';
import { createAccessLoggers, type AccessLogger } from '../observability/access-log/access-log-factory.js';
import { compileHttpFilters, type CompiledHttpFilter } from './http-filter-registry.js';
import { createHcmStats, type HcmStats } from './hcm-stats.js';
import { compileHcmUpgrades, type UpgradeMap } from './upgrade-config.js';
import { compileHttp2Options, type Http2Options } from '../codec/http2/options.js';
import { parseXfcc, type XfccConfig } from './xfcc.js';

const MINUTE = 60_000;

/** The connection manager's config, compiled once per listener filter chain. */
export interface HcmConfig {
  readonly statPrefix: string;
  /** `codec_type`: AUTO sniffs the HTTP/2 preface (or uses ALPN), HTTP1/HTTP2 force one codec. */
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly http2: Http2Options;
  readonly routeTable: RouteTable;
  readonly filters: readonly CompiledHttpFilter[];
  readonly accessLoggers: readonly AccessLogger[];
  readonly serverName: string;
  readonly serverHeader: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly xffNumTrustedHops: number;
  readonly internalCidrs: readonly Cidr[] | undefined;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly via: string;
  readonly appendXForwardedPort: boolean;
  readonly xfcc: XfccConfig;
  readonly proxy100Continue: boolean;
  readonly maxRequestHeadersBytes: number;
  readonly maxHeadersCount: number;
  readonly requestTimeoutMs: number;
  readonly requestHeadersTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectionDurationMs: number;
  /** `common_http_protocol_options.max_stream_duration`; 0 = none (a route may override). */
  readonly maxStreamDurationMs: number;
  readonly maxRequestsPerConnection: number;
  readonly drainTimeoutMs: number;
  readonly delayedCloseTimeoutMs: number;
  readonly acceptHttp10: boolean;
  readonly defaultHostForHttp10: string;
  readonly enableTrailers: boolean;
  readonly allowAbsoluteUrl: boolean;
  readonly stripPortMode: 'none' | 'any' | 'matching';
  readonly stripTrailingHostDot: boolean;
  /** upgrade_configs (routes may override per type). */
  readonly upgrades: UpgradeMap;
  readonly stats: HcmStats;
  readonly ctx: FactoryContext;
  /** 'inbound' listeners report Istio metrics as the destination, others as the source. */
  readonly direction: 'inbound' | 'outbound';
}

export function compileHcmConfig(cfg: HttpConnectionManager__Output, path: string, ctx: FactoryContext, direction: 'inbound' | 'outbound'): HcmConfig {
  if (!cfg.stat_prefix) throw new ConfigError(joinPath(path, 'stat_prefix'), 'is required');
  rejectUnsupported(cfg, path);
  const stripPortMode = cfg.strip_any_host_port ? 'any' : cfg.strip_matching_host_port ? 'matching' : 'none';
  const routes = routeSource(cfg, path, ctx, stripPortMode);
  const statPrefix = cfg.stat_prefix;
  const filters = compileHttpFilters(cfg.http_filters, joinPath(path, 'http_filters'), { ...ctx, statPrefix });
  const http1 = cfg.http_protocol_options;
  const common = cfg.common_http_protocol_options;
  if (common && common.headers_with_underscores_action !== 'ALLOW') {
    throw new ConfigError(joinPath(path, 'common_http_protocol_options.headers_with_underscores_action'), 'only ALLOW is supported yet');
  }
  if (http1?.header_key_format) throw new ConfigError(joinPath(path, 'http_protocol_options.header_key_format'), 'is not supported yet');
  if (http1?.allow_chunked_length) throw new ConfigError(joinPath(path, 'http_protocol_options.allow_chunked_length'), 'is not supported (it would allow request smuggling)');
  if (http1?.send_fully_qualified_url) throw new ConfigError(joinPath(path, 'http_protocol_options.send_fully_qualified_url'), 'is not supported yet');
  const internal = cfg.internal_address_config;
  if (internal?.unix_sockets) throw new ConfigError(joinPath(path, 'internal_address_config.unix_sockets'), 'is not supported');
  const maxKb = cfg.max_request_headers_kb ? cfg.max_request_headers_kb.value : 60;
  if (maxKb < 1 || maxKb > 8192) throw new ConfigError(joinPath(path, 'max_request_headers_kb'), 'must be between 1 and 8192');

  const codecType = cfg.codec_type;
  if (codecType !== 'AUTO' && codecType !== 'HTTP1' && codecType !== 'HTTP2') throw new ConfigError(joinPath(path, 'codec_type'), `${codecType} is not supported`);
  const compiled: Omit<HcmConfig, 'routeTable'> = {
    statPrefix,
    codecType,
    http2: compileHttp2Options(cfg.http2_protocol_options, joinPath(path, 'http2_protocol_options')),
    filters,
    accessLoggers: createAccessLoggers(cfg.access_log, joinPath(path, 'access_log'), { hostname: ctx.hostname }),
    serverName: cfg.server_name || 'envoy',
    serverHeader: cfg.server_header_transformation,
    useRemoteAddress: cfg.use_remote_address?.value ?? false,
    skipXffAppend: cfg.skip_xff_append,
    xffNumTrustedHops: cfg.xff_num_trusted_hops,
    internalCidrs: internal ? internal.cidr_ranges.map((r, i) => CidrClass.parse(r, joinPath(path, `internal_address_config.cidr_ranges[${i}]`))) : undefined,
    generateRequestId: cfg.generate_request_id?.value ?? true,
    preserveExternalRequestId: cfg.preserve_external_request_id,
    alwaysSetRequestIdInResponse: cfg.always_set_request_id_in_response,
    via: cfg.via,
    appendXForwardedPort: cfg.append_x_forwarded_port,
    proxy100Continue: cfg.proxy_100_continue,
    maxRequestHeadersBytes: maxKb * 1024,
    maxHeadersCount: common?.max_headers_count ? common.max_headers_count.value : 100,
    requestTimeoutMs: durationMs(cfg.request_timeout, 0),
    requestHeadersTimeoutMs: durationMs(cfg.request_headers_timeout, 0),
    streamIdleTimeoutMs: durationMs(cfg.stream_idle_timeout, 5 * MINUTE),
    idleTimeoutMs: durationMs(common?.idle_timeout, 60 * MINUTE),
    maxConnectionDurationMs: durationMs(common?.max_connection_duration, 0),
    maxStreamDurationMs: durationMs(common?.max_stream_duration, 0),
    maxRequestsPerConnection: common?.max_requests_per_connection ? common.max_requests_per_connection.value : 0,
    drainTimeoutMs: durationMs(cfg.drain_timeout, 5000),
    delayedCloseTimeoutMs: durationMs(cfg.delayed_close_timeout, 1000),
    acceptHttp10: http1?.accept_http_10 ?? false,
    defaultHostForHttp10: http1?.default_host_for_http_10 ?? '',
    enableTrailers: http1?.enable_trailers ?? false,
    allowAbsoluteUrl: http1?.allow_absolute_url?.value ?? true,
    stripPortMode,
    stripTrailingHostDot: cfg.strip_trailing_host_dot,
    upgrades: compileHcmUpgrades(cfg, path),
    xfcc: parseXfcc(cfg, path),
    stats: createHcmStats(ctx.stats, statPrefix),
    ctx,
    direction,
  };
  // RDS: a getter, so each new stream reads the latest table and keeps it. Defined afterwards: an object literal with
  // an accessor is a V8 dictionary object, which made every config load on the data path a generic IC call.
  return Object.defineProperty(compiled, 'routeTable', { get: (): RouteTable => routes.table as RouteTable, enumerable: true }) as HcmConfig;
}

/** The route table: inline `route_config`, or `rds` (a provider that RDS updates). */
function routeSource(cfg: HttpConnectionManager__Output, path: string, ctx: FactoryContext, stripPortMode: StripPortMode): RouteProvider {
  if (cfg.route_specifier === 'route_config' && cfg.route_config) {
    const table = compileRouteConfiguration(cfg.route_config, joinPath(path, 'route_config'), {
      runtime: ctx.runtime,
      clusterExists: (name) => ctx.clusterManager.get(name) !== undefined,
      stripPortMode,
      stats: ctx.stats,
    });
    return { table };
  }
  if (cfg.route_specifier === 'rds' && cfg.rds) {
    const rp = joinPath(path, 'rds');
    if (!ctx.rds) throw new ConfigError(rp, 'needs dynamic_resources.ads_config');
    const src = cfg.rds.config_source;
    if (!src) throw new ConfigError(joinPath(rp, 'config_source'), 'is required');
    if (src.config_source_specifier !== 'ads') throw new ConfigError(joinPath(rp, `config_source.${src.config_source_specifier ?? 'ads'}`), 'only ads config sources are supported yet');
    if (!cfg.rds.route_config_name) throw new ConfigError(joinPath(rp, 'route_config_name'), 'is required');
    return ctx.rds.subscribe(cfg.rds.route_config_name, stripPortMode, cfg.stat_prefix);
  }
  const field = cfg.route_specifier ?? 'route_config';
  throw new ConfigError(joinPath(path, field), field === 'route_config' || field === 'rds' ? `${field} is required` : `${field} is not supported yet`);
}

function rejectUnsupported(cfg: HttpConnectionManager__Output, path: string): void {
  const unsupported: Array<[string, boolean]> = [
    ['tracing', !!cfg.tracing],
    ['http3_protocol_options', !!cfg.http3_protocol_options],
    ['represent_ipv4_remote_address_as_ipv4_mapped_ipv6', cfg.represent_ipv4_remote_address_as_ipv4_mapped_ipv6],
    ['add_user_agent', !!cfg.add_user_agent?.value],
    ['normalize_path', !!cfg.normalize_path?.value],
    ['merge_slashes', cfg.merge_slashes],
    ['request_id_extension', !!cfg.request_id_extension],
    ['local_reply_config', !!cfg.local_reply_config],
    ['path_normalization_options', !!cfg.path_normalization_options],
    ['path_with_escaped_slashes_action', cfg.path_with_escaped_slashes_action !== 'IMPLEMENTATION_SPECIFIC_DEFAULT' && cfg.path_with_escaped_slashes_action !== 'KEEP_UNCHANGED'],
    ['original_ip_detection_extensions', cfg.original_ip_detection_extensions.length > 0],
    ['early_header_mutation_extensions', cfg.early_header_mutation_extensions.length > 0],
    ['scheme_header_transformation', !!cfg.scheme_header_transformation],
    ['proxy_status_config', !!cfg.proxy_status_config],
    ['typed_header_validation_config', !!cfg.typed_header_validation_config],
    ['access_log_flush_interval', !!cfg.access_log_flush_interval],
    ['flush_access_log_on_new_request', cfg.flush_access_log_on_new_request],
    ['access_log_options', !!cfg.access_log_options],
    ['stream_error_on_invalid_http_message', !!cfg.stream_error_on_invalid_http_message?.value],
    ['add_proxy_protocol_connection_state', !!cfg.add_proxy_protocol_connection_state],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
}
