import type { RouteEntry } from '../router/route-table.js';
import type { RouteRequest } from '../router/route-request.js';
import type { HeaderMap } from './header-map.js';
import type { StreamInfo } from './stream-info.js';

/** Result of a filter callback: keep going down the chain, or stop until the filter calls `continueDecoding()`. */
export const FilterStatus = { Continue: 0, StopIteration: 1 } as const;
export type FilterStatus = (typeof FilterStatus)[keyof typeof FilterStatus];

/** The downstream request as filters and the router see it. Pseudo-headers are fields, not entries in `headers`. */
export interface HttpRequest {
  method: string;
  /** Request target in origin form, with query (`/a?b=1`). */
  path: string;
  /** Host / :authority. */
  authority: string;
  scheme: 'http' | 'https';
  readonly headers: HeaderMap;
  /** 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2'. */
  readonly protocol: string;
}

/** A response head produced upstream or locally, before it goes through encoder filters to the codec. */
export interface HttpResponseHead {
  status: number;
  readonly headers: HeaderMap;
}

export interface LocalReplyOptions {
  /** Envoy response flag bit(s) to set. */
  readonly flags?: number;
  /** Response code details (`%RESPONSE_CODE_DETAILS%`), e.g. `route_not_found`. */
  readonly details: string;
  /** Extra response headers. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** gRPC status to use when the request is gRPC (trailers-only reply). */
  readonly grpcStatus?: number;
}

/** What a filter can do to its stream. Implemented by the connection manager's active stream. */
export interface StreamFilterCallbacks {
  readonly request: HttpRequest;
  /** The request as route matching and hash policies see it. */
  readonly routeRequest: RouteRequest;
  /** The route selected for the request (undefined: no route matched). */
  readonly route: RouteEntry | undefined;
  readonly info: StreamInfo;
  readonly connectionId: number;
  /** The downstream connection's StreamInfo: one object per connection, usable as a WeakMap key. */
  readonly connectionInfo: StreamInfo;
  readonly downstreamRemoteIp: string;
  /** Resume a chain stopped with StopIteration. */
  continueDecoding(): void;
  /** Reply from the proxy itself; ends the stream (unless the response already started: then the stream is reset). */
  sendLocalReply(status: number, body: string, options: LocalReplyOptions): void;
  /** Send the response head downstream (through encoder filters). */
  encodeHeaders(head: HttpResponseHead, endStream: boolean): void;
  /** Send response body; returns false when the downstream buffer is above its high watermark. */
  encodeData(data: Buffer, endStream: boolean): boolean;
  encodeTrailers(trailers: HeaderMap): void;
  /** Stop/resume reading the downstream request body (flow control toward the client). */
  readDisable(disable: boolean): void;
  /** Abort the stream: the downstream connection is reset (HTTP/1: closed). */
  resetStream(reason: string): void;
  /** Whether the response head was already sent downstream. */
  readonly responseStarted: boolean;
}

/** Per-stream filter instance (decoder side). The router is the terminal decoder filter. */
export interface StreamDecoderFilter {
  setDecoderCallbacks(callbacks: StreamFilterCallbacks): void;
  decodeHeaders(endStream: boolean): FilterStatus;
  decodeData(data: Buffer, endStream: boolean): FilterStatus;
  decodeTrailers(trailers: HeaderMap): FilterStatus;
  /** The downstream can take more response data (its write buffer drained below the low watermark). */
  onDownstreamDrain?(): void;
  /** Stream is over (completed or reset): release everything. */
  onDestroy(): void;
}

/** Per-stream filter instance (encoder side), called in reverse order on the response. */
export interface StreamEncoderFilter {
  encodeHeaders(head: HttpResponseHead, endStream: boolean): FilterStatus;
  encodeData(data: Buffer, endStream: boolean): FilterStatus;
  encodeTrailers(trailers: HeaderMap): FilterStatus;
  onDestroy(): void;
}

/** What an HTTP filter factory returns, once per stream. */
export interface HttpFilterInstance {
  readonly decoder?: StreamDecoderFilter;
  readonly encoder?: StreamEncoderFilter;
}
