import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';

/** Envoy's `http2.*` codec stats (downstream: under the root scope; upstream: under `cluster.<name>.`). */
export interface Http2CodecStats {
  readonly goawaySent: Counter;
  readonly headerOverflow: Counter;
  readonly inboundEmptyFramesFlood: Counter;
  readonly inboundPriorityFramesFlood: Counter;
  readonly inboundWindowUpdateFramesFlood: Counter;
  readonly outboundControlFlood: Counter;
  readonly outboundFlood: Counter;
  readonly rxMessagingError: Counter;
  readonly rxReset: Counter;
  readonly streamRefusedErrors: Counter;
  readonly trailers: Counter;
  readonly txReset: Counter;
  readonly streamsActive: Gauge;
}

const cache = new WeakMap<Scope, Http2CodecStats>();

/** Created once per parent scope (every HCM of a listener shares the root's `http2.*`, as in Envoy). */
export function http2CodecStats(parent: Scope): Http2CodecStats {
  let stats = cache.get(parent);
  if (stats !== undefined) return stats;
  const s = parent.scope('http2');
  stats = {
    goawaySent: s.counter('goaway_sent'),
    headerOverflow: s.counter('header_overflow'),
    inboundEmptyFramesFlood: s.counter('inbound_empty_frames_flood'),
    inboundPriorityFramesFlood: s.counter('inbound_priority_frames_flood'),
    inboundWindowUpdateFramesFlood: s.counter('inbound_window_update_frames_flood'),
    outboundControlFlood: s.counter('outbound_control_flood'),
    outboundFlood: s.counter('outbound_flood'),
    rxMessagingError: s.counter('rx_messaging_error'),
    rxReset: s.counter('rx_reset'),
    streamRefusedErrors: s.counter('stream_refused_errors'),
    trailers: s.counter('trailers'),
    txReset: s.counter('tx_reset'),
    streamsActive: s.gauge('streams_active'),
  };
  cache.set(parent, stats);
  return stats;
}
