import { ConfigError, joinPath } from '@weft/api/lite';
import type {
  Cluster__Output,
  CommonHttpProtocolOptions__Output as CommonHttpOptions,
  Http1ProtocolOptions__Output,
  HttpProtocolOptions__Output,
} from './envoy-types.js';
import { optDurationMs, rejectIfSet, unsupported, wrapped } from './config-util.js';
import { compileHttp2Options, DEFAULT_HTTP2_OPTIONS, type Http2Options } from '../codec/http2/options.js';
import type { Http2ProtocolOptions__Output } from '@weft/api/envoy/envoy/config/core/v3/Http2ProtocolOptions.js';

/**
 * The upstream HTTP protocol: explicit HTTP/1.1 or HTTP/2, or `downstream` (use_downstream_protocol_config /
 * USE_DOWNSTREAM_PROTOCOL: HTTP/2 for HTTP/2 requests, HTTP/1.1 otherwise).
 */
export type UpstreamHttpProtocol = 'http1' | 'http2' | 'downstream';

export const HTTP_PROTOCOL_OPTIONS_NAME = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_TYPE = `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS_NAME}`;

export interface ClusterHttpOptions {
  /** `common_http_protocol_options.idle_timeout`: default 1 h, 0 disables it. */
  readonly idleTimeoutMs: number;
  /** 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** `common_http_protocol_options.max_connection_duration`: 0 = unlimited. */
  readonly maxConnectionDurationMs: number;
  /** `common_http_protocol_options.max_headers_count` (default 100), for the upstream codec. */
  readonly maxHeadersCount: number;
  /** HTTP/1 codec options for upstream connections (null = defaults); interpreted by the codec. */
  readonly http1: Http1ProtocolOptions__Output | null;
  readonly protocol: UpstreamHttpProtocol;
  /** HTTP/2 settings for upstream sessions (defaults when unset). */
  readonly http2: Http2Options;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
const DEFAULT_MAX_HEADERS = 100;

function parseCommon(
  common: CommonHttpOptions | null,
  path: string,
): { idleTimeoutMs: number; maxHeadersCount: number; maxRequests: number | undefined; maxDurationMs: number } {
  if (!common) return { idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, maxHeadersCount: DEFAULT_MAX_HEADERS, maxRequests: undefined, maxDurationMs: 0 };
  rejectIfSet(path, 'max_stream_duration', common.max_stream_duration);
  if (common.headers_with_underscores_action !== 'ALLOW') {
    throw unsupported(path, 'headers_with_underscores_action', `${common.headers_with_underscores_action} is not supported yet`);
  }
  const maxHeadersCount = wrapped(common.max_headers_count, DEFAULT_MAX_HEADERS);
  if (maxHeadersCount < 1) throw new ConfigError(joinPath(path, 'max_headers_count.value'), 'must be at least 1');
  return {
    idleTimeoutMs: optDurationMs(common.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS),
    maxHeadersCount,
    maxRequests: common.max_requests_per_connection ? Number(common.max_requests_per_connection.value) : undefined,
    maxDurationMs: optDurationMs(common.max_connection_duration, 0),
  };
}

interface ParsedExtension {
  common: CommonHttpOptions | null;
  http1: Http1ProtocolOptions__Output | null;
  http2: Http2Options;
  protocol: UpstreamHttpProtocol;
}

function parseExtension(any: unknown, path: string): ParsedExtension {
  const o = any as HttpProtocolOptions__Output & { '@type'?: string };
  if (o['@type'] !== HTTP_PROTOCOL_OPTIONS_TYPE) {
    throw new ConfigError(joinPath(path, '@type'), `expected ${HTTP_PROTOCOL_OPTIONS_TYPE}, got ${String(o['@type'])}`);
  }
  rejectIfSet(path, 'upstream_http_protocol_options', o.upstream_http_protocol_options);
  rejectIfSet(path, 'http_filters', o.http_filters);
  rejectIfSet(path, 'header_validation_config', o.header_validation_config);
  const common = o.common_http_protocol_options;
  switch (o.upstream_protocol_options) {
    case 'explicit_http_config': {
      const ex = o.explicit_http_config;
      const ep = joinPath(path, 'explicit_http_config');
      if (ex?.protocol_config === 'http_protocol_options') return { common, http1: ex.http_protocol_options ?? null, http2: DEFAULT_HTTP2_OPTIONS, protocol: 'http1' };
      if (ex?.protocol_config === 'http2_protocol_options') {
        return { common, http1: null, http2: compileHttp2Options(ex.http2_protocol_options, joinPath(ep, 'http2_protocol_options')), protocol: 'http2' };
      }
      throw ex?.protocol_config ? unsupported(ep, ex.protocol_config) : new ConfigError(ep, 'protocol_config is required');
    }
    case 'use_downstream_protocol_config': {
      const d = o.use_downstream_protocol_config;
      const dp = joinPath(path, 'use_downstream_protocol_config');
      rejectIfSet(dp, 'http3_protocol_options', d?.http3_protocol_options);
      return { common, http1: d?.http_protocol_options ?? null, http2: compileHttp2Options(d?.http2_protocol_options, joinPath(dp, 'http2_protocol_options')), protocol: 'downstream' };
    }
    case 'auto_config':
      // ALPN chooses between HTTP/1.1 and HTTP/2: needs upstream TLS.
      throw unsupported(path, 'auto_config', 'is not supported yet (it needs ALPN over upstream TLS)');
    default:
      throw new ConfigError(path, 'upstream_protocol_options is required');
  }
}

/**
 * HTTP options from `typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']`
 * or the deprecated cluster fields (not both, as in Envoy).
 */
export function parseHttpOptions(cfg: Cluster__Output, path: string): ClusterHttpOptions {
  const tepo = cfg.typed_extension_protocol_options;
  const tp = joinPath(path, 'typed_extension_protocol_options');
  for (const key of Object.keys(tepo)) {
    if (key !== HTTP_PROTOCOL_OPTIONS_NAME) throw new ConfigError(`${tp}['${key}']`, 'is not supported yet');
  }
  rejectIfSet(path, 'upstream_http_protocol_options', cfg.upstream_http_protocol_options);
  const selection = cfg.protocol_selection;
  if (selection !== 'USE_CONFIGURED_PROTOCOL' && selection !== 'USE_DOWNSTREAM_PROTOCOL') throw unsupported(path, 'protocol_selection');

  const ext = tepo[HTTP_PROTOCOL_OPTIONS_NAME];
  let common: CommonHttpOptions | null = cfg.common_http_protocol_options;
  let commonPath = joinPath(path, 'common_http_protocol_options');
  let http1 = cfg.http_protocol_options;
  const deprecatedH2: Http2ProtocolOptions__Output | null = cfg.http2_protocol_options;
  let http2 = compileHttp2Options(deprecatedH2, joinPath(path, 'http2_protocol_options'));
  // Deprecated fields: http2_protocol_options selects HTTP/2; USE_DOWNSTREAM_PROTOCOL follows the downstream.
  let protocol: UpstreamHttpProtocol = selection === 'USE_DOWNSTREAM_PROTOCOL' ? 'downstream' : deprecatedH2 ? 'http2' : 'http1';
  if (ext !== undefined) {
    const ep = `${tp}['${HTTP_PROTOCOL_OPTIONS_NAME}']`;
    if (cfg.common_http_protocol_options || cfg.http_protocol_options || deprecatedH2 || selection !== 'USE_CONFIGURED_PROTOCOL') {
      throw new ConfigError(
        ep,
        'Only one of typed_extension_protocol_options or common_http_protocol_options/http_protocol_options can be specified',
      );
    }
    const parsed = parseExtension(ext, ep);
    common = parsed.common;
    commonPath = joinPath(ep, 'common_http_protocol_options');
    http1 = parsed.http1;
    http2 = parsed.http2;
    protocol = parsed.protocol;
  }
  const c = parseCommon(common, commonPath);
  let maxRequests = c.maxRequests ?? 0;
  if (cfg.max_requests_per_connection) {
    if (c.maxRequests !== undefined) {
      throw new ConfigError(
        joinPath(path, 'max_requests_per_connection'),
        'Only one of max_requests_per_connection from Cluster or HttpProtocolOptions can be specified',
      );
    }
    maxRequests = cfg.max_requests_per_connection.value;
  }
  return { idleTimeoutMs: c.idleTimeoutMs, maxRequestsPerConnection: maxRequests, maxConnectionDurationMs: c.maxDurationMs, maxHeadersCount: c.maxHeadersCount, http1, protocol, http2 };
}
