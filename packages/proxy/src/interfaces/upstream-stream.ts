import type { HeaderMap } from './header-map.js';

/**
 * Why an upstream stream ended without a complete response. Mapped by the router to response flags and
 * `%RESPONSE_CODE_DETAILS%` the way Envoy does (`upstream_reset_before_response_started{<reason>}`).
 */
export type UpstreamResetReason =
  | 'connection_failure'
  | 'connection_termination'
  | 'local_reset'
  | 'remote_reset'
  | 'remote_refused_stream'
  | 'protocol_error'
  | 'overflow';

/** The request line of an upstream request; pseudo-headers for HTTP/2. */
export interface UpstreamRequestLine {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
}

/** What the upstream side reports to its owner (one attempt of the router). */
export interface UpstreamStreamCallbacks {
  /** Final response head (interim 1xx are absorbed by the codec). */
  onUpstreamHeaders(status: number, headers: HeaderMap, endStream: boolean): void;
  onUpstreamData(chunk: Buffer, endStream: boolean): void;
  onUpstreamTrailers(trailers: HeaderMap): void;
  /** The stream ended abnormally; nothing more will be reported. `detail` is a transport failure reason, if any. */
  onUpstreamReset(reason: UpstreamResetReason, detail: string): void;
  /** The upstream can take more request body (it went below its low watermark). */
  onUpstreamWritable(): void;
}

/**
 * One request/response exchange on an upstream connection, protocol-agnostic: an HTTP/1.1 pooled connection or a
 * stream of a multiplexed HTTP/2 connection.
 */
export interface UpstreamStream {
  /** `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  /** `ip:port` of the local end of the connection. */
  readonly localAddress: string;
  /**
   * Set when the exchange ended because the peer closed a reused (keep-alive) connection before sending any
   * response byte: the keep-alive race. The request may be re-sent on a fresh connection if it is idempotent and
   * replayable (RFC 9112 §9.3.1). Always false for a connection's first request and for multiplexed protocols.
   */
  readonly staleConnection: boolean;
  encodeHeaders(line: UpstreamRequestLine, headers: HeaderMap, endStream: boolean): void;
  /** Returns false when the upstream is above its high watermark (stop reading the downstream body). */
  encodeData(data: Buffer, endStream: boolean): boolean;
  encodeTrailers(trailers: HeaderMap): void;
  /** Stop/resume reading the response (downstream flow control). */
  readDisable(disable: boolean): void;
  /** Abandon the exchange (timeout, downstream gone): the connection is closed or the stream reset. */
  reset(): void;
}

/** How a connection pool hands out a stream (or why it cannot). */
export interface UpstreamStreamReadyHandler {
  onStreamReady(stream: UpstreamStream): void;
  /** `connection_failure` (with the transport failure reason) or `overflow` (circuit breaker / pending limit). */
  onStreamFailure(reason: UpstreamResetReason, detail: string): void;
}

/** A cancelable wait for a stream. */
export interface PendingStream {
  cancel(): void;
}

/** A per-host, per-protocol HTTP connection pool as the router sees it. */
export interface HttpStreamPool {
  readonly protocol: string;
  /**
   * Returns null when the stream was handed out synchronously (ready.onStreamReady already called) or failed
   * synchronously; otherwise a handle to cancel the wait. `fresh`: on a newly opened connection, never an idle one
   * (HTTP/1; multiplexed pools ignore it).
   */
  newStream(callbacks: UpstreamStreamCallbacks, ready: UpstreamStreamReadyHandler, fresh?: boolean): PendingStream | null;
}
