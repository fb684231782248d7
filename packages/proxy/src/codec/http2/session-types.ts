import type { H2Stream } from './h2-stream.js';
import type { Http2FloodLimits } from './options.js';
import type { Http2CodecStats } from './stats.js';

/** Why a stream closed. */
export const CLOSE_DONE = 0;
export const CLOSE_REMOTE_RESET = 1;
export const CLOSE_LOCAL_RESET = 2;
export const CLOSE_CONNECTION = 3;

export interface Http2SessionHandler<U> {
  /** A header block: the first one (request/response), an interim 1xx (client), or trailers. */
  onHeaders(stream: H2Stream<U>, fields: string[], endStream: boolean): void;
  /** A header block over the header list limits: the stream has been reset (server: answer 431 first). */
  onHeadersTooLarge(stream: H2Stream<U>): void;
  onData(stream: H2Stream<U>, data: Buffer, endStream: boolean): void;
  /** Once per stream; `reason`: CLOSE_*; a remote reset's code is `code`. */
  onStreamClose(stream: H2Stream<U>, reason: number, code: number): void;
  /** A stream whose encodeData returned false may write again. */
  onStreamWritable(stream: H2Stream<U>): void;
  onGoaway(lastStreamId: number, code: number): void;
  onPingAck(): void;
  onRemoteSettings(first: boolean): void;
  /** We detected a connection error and sent GOAWAY(code); the connection is closing. */
  onConnectionError(code: number): void;
  /** A flood limit was broken (FLOOD_* from protocol-constraints.ts, its stat counted): the connection is closing. */
  onFlood(kind: number): void;
  /** The socket is gone; every stream has been closed. */
  onClose(): void;
}

export interface Http2SessionSettings {
  readonly headerTableSize: number;
  readonly maxConcurrentStreams: number;
  readonly initialWindowSize: number;
  readonly maxHeaderListSize: number;
  readonly maxHeaderFields: number;
  readonly enableConnectProtocol: boolean;
  /** Our connection receive window (a WINDOW_UPDATE on stream 0 raises it from 65535). */
  readonly connectionWindow: number;
  /** Socket write buffer above which we stop reading (a peer that does not read makes us stop too). */
  readonly writeHighWatermark: number;
  /** Flood limits (Envoy's defaults when absent) and where their stats go. */
  readonly floodLimits?: Http2FloodLimits;
  readonly codecStats?: Http2CodecStats;
}
