import type { Settings } from 'node:http2';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Http2ProtocolOptions__Output } from '@weft/api/envoy/envoy/config/core/v3/Http2ProtocolOptions.js';

/** Envoy's defaults (Http2::Utility::OptionsLimits). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 2147483647;
export const DEFAULT_INITIAL_WINDOW_SIZE = 268435456;
const MIN_WINDOW = 65535;
const MAX_WINDOW = 2147483647;
const DEFAULT_HPACK_TABLE_SIZE = 4096;

/** `http2_protocol_options`, compiled once (HCM and cluster alike). */
export interface Http2Options {
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number;
  /** initial_stream_window_size was configured (else the buffer limit applies: see streamWindow). */
  readonly streamWindowSet: boolean;
  readonly initialConnectionWindowSize: number;
  readonly hpackTableSize: number;
  readonly allowConnect: boolean;
  /** Flood limits (Envoy's ProtocolConstraints), both roles. */
  readonly flood: Http2FloodLimits;
}

/** `max_outbound_frames` ... `max_inbound_window_update_frames_per_data_frame_sent`, compiled. */
export interface Http2FloodLimits {
  readonly maxOutboundFrames: number;
  readonly maxOutboundControlFrames: number;
  readonly maxConsecutiveEmptyFrames: number;
  readonly maxPriorityFramesPerStream: number;
  readonly maxWindowUpdatesPerDataFrame: number;
}

/** Envoy's defaults (Http2::Utility::OptionsLimits). */
export const DEFAULT_FLOOD_LIMITS: Http2FloodLimits = {
  maxOutboundFrames: 10000,
  maxOutboundControlFrames: 1000,
  maxConsecutiveEmptyFrames: 1,
  maxPriorityFramesPerStream: 100,
  maxWindowUpdatesPerDataFrame: 10,
};

export const DEFAULT_HTTP2_OPTIONS: Http2Options = {
  maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
  initialStreamWindowSize: DEFAULT_INITIAL_WINDOW_SIZE,
  streamWindowSet: false,
  initialConnectionWindowSize: DEFAULT_INITIAL_WINDOW_SIZE,
  hpackTableSize: DEFAULT_HPACK_TABLE_SIZE,
  allowConnect: false,
  flood: DEFAULT_FLOOD_LIMITS,
};

function ranged(v: { value: number } | null, path: string, field: string, min: number, max: number, def: number): number {
  if (!v) return def;
  if (v.value < min || v.value > max) throw new ConfigError(joinPath(path, field), `must be between ${min} and ${max}`);
  return v.value;
}

const MAX_UINT32 = 4294967295;

/** The flood limits with the proto's validation ranges (gte 1 where the proto says so; uint32 otherwise). */
function compileFloodLimits(o: Http2ProtocolOptions__Output, path: string): Http2FloodLimits {
  const d = DEFAULT_FLOOD_LIMITS;
  if (!o.max_outbound_frames && !o.max_outbound_control_frames && !o.max_consecutive_inbound_frames_with_empty_payload && !o.max_inbound_priority_frames_per_stream && !o.max_inbound_window_update_frames_per_data_frame_sent) return d;
  return {
    maxOutboundFrames: ranged(o.max_outbound_frames, path, 'max_outbound_frames', 1, MAX_UINT32, d.maxOutboundFrames),
    maxOutboundControlFrames: ranged(o.max_outbound_control_frames, path, 'max_outbound_control_frames', 1, MAX_UINT32, d.maxOutboundControlFrames),
    maxConsecutiveEmptyFrames: ranged(o.max_consecutive_inbound_frames_with_empty_payload, path, 'max_consecutive_inbound_frames_with_empty_payload', 0, MAX_UINT32, d.maxConsecutiveEmptyFrames),
    maxPriorityFramesPerStream: ranged(o.max_inbound_priority_frames_per_stream, path, 'max_inbound_priority_frames_per_stream', 0, MAX_UINT32, d.maxPriorityFramesPerStream),
    maxWindowUpdatesPerDataFrame: ranged(o.max_inbound_window_update_frames_per_data_frame_sent, path, 'max_inbound_window_update_frames_per_data_frame_sent', 1, MAX_UINT32, d.maxWindowUpdatesPerDataFrame),
  };
}

/**
 * Accepts the options Weft's codec honours; anything that would change behaviour we cannot reproduce is refused
 * with its path.
 */
export function compileHttp2Options(o: Http2ProtocolOptions__Output | null | undefined, path: string): Http2Options {
  if (!o) return DEFAULT_HTTP2_OPTIONS;
  const refuse: Array<[string, boolean]> = [
    ['allow_metadata', o.allow_metadata],
    ['stream_error_on_invalid_http_messaging', o.stream_error_on_invalid_http_messaging],
    ['override_stream_error_on_invalid_http_message', !!o.override_stream_error_on_invalid_http_message?.value],
    ['custom_settings_parameters', o.custom_settings_parameters.length > 0],
    ['connection_keepalive', !!o.connection_keepalive],
    ['use_oghttp2_codec', !!o.use_oghttp2_codec?.value],
  ];
  for (const [field, set] of refuse) if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
  return {
    maxConcurrentStreams: ranged(o.max_concurrent_streams, path, 'max_concurrent_streams', 1, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONCURRENT_STREAMS),
    initialStreamWindowSize: ranged(o.initial_stream_window_size, path, 'initial_stream_window_size', MIN_WINDOW, MAX_WINDOW, DEFAULT_INITIAL_WINDOW_SIZE),
    streamWindowSet: !!o.initial_stream_window_size,
    initialConnectionWindowSize: ranged(o.initial_connection_window_size, path, 'initial_connection_window_size', MIN_WINDOW, MAX_WINDOW, DEFAULT_INITIAL_WINDOW_SIZE),
    hpackTableSize: o.hpack_table_size ? o.hpack_table_size.value : DEFAULT_HPACK_TABLE_SIZE,
    allowConnect: o.allow_connect,
    flood: compileFloodLimits(o, path),
  };
}

/**
 * The per-stream receive window we advertise. Envoy's default is 256 MiB, which Envoy calls a soft per-stream
 * buffer limit; node:http2 buffers whatever the window admits while a stream is read-disabled, so unless the
 * window is configured explicitly Weft uses the connection's buffer limit (per_connection_buffer_limit_bytes,
 * 1 MiB by default): a slow upstream or client then stalls the peer instead of growing the proxy's memory.
 */
export function streamWindow(o: Http2Options, bufferLimitBytes: number): number {
  if (o.streamWindowSet) return o.initialStreamWindowSize;
  return Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, bufferLimitBytes));
}

/** The SETTINGS we advertise. */
export function localSettings(o: Http2Options, server: boolean, bufferLimitBytes: number): Settings {
  const s: Settings = {
    headerTableSize: o.hpackTableSize,
    initialWindowSize: streamWindow(o, bufferLimitBytes),
    maxConcurrentStreams: o.maxConcurrentStreams,
    enablePush: false,
  };
  if (server && o.allowConnect) s.enableConnectProtocol = true;
  return s;
}
