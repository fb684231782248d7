/**
 * The contract between the generic RPC proxy (packages/proxy/src/rpc) and one RPC protocol codec (codec/bolt,
 * codec/dubbo, codec/thrift). The proxy never looks inside a protocol's bytes: everything it routes on, rewrites or
 * answers locally goes through these types. A codec is a factory; its per-connection state lives in an
 * RpcConnectionCodec, because some protocols are only known after the first bytes (Thrift framing and protocol).
 */

/** What the first bytes of a connection say about a protocol: `need-more` until the codec can tell. */
export type CodecMatch = 'need-more' | 'yes' | 'no';

/** The local failures the proxy answers itself; each codec maps them to its protocol's own error response. */
export type RpcLocalStatus =
  | 'no_route' // no route matched the request
  | 'no_healthy_upstream' // the cluster has no host to send to
  | 'upstream_unavailable' // connect failure or the upstream connection reset before a response
  | 'timeout' // the route or request timeout fired
  | 'overflow' // a circuit breaker refused the request
  | 'rate_limited' // a local rate limit refused the request
  | 'fault_abort' // fault injection aborted the request
  | 'bad_request'; // the request decoded but cannot be served (e.g. unknown serialization)

/** How a response ended, for stats, outlier detection and retries. */
export type RpcResponseStatus = 'ok' | 'server_error' | 'client_error' | 'timeout' | 'overflow' | 'unknown';

/** A protocol error in the byte stream: the frame cannot be delimited, so only this connection is closed. */
export class RpcProtocolError extends Error {
  readonly code = 'WEFT_ERR_RPC_PROTOCOL';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * One decoded frame. `bytes` is the whole frame as it arrived, usually a view into the read buffer (safe to keep
 * after the read: read buffers are never reused), so the proxy can forward it unchanged or through `rewrite`. Routing metadata is decoded when
 * the frame is; arguments only on demand (`args()`), because most routes never need them.
 */
export interface RpcFrame {
  readonly kind: 'request' | 'response';
  /** A request that gets no response (Bolt oneway, Dubbo two-way flag clear, Thrift ONEWAY). */
  readonly oneway: boolean;
  /** A protocol keep-alive (Bolt heartbeat, Dubbo heartbeat event), never routed. */
  readonly heartbeat: boolean;
  /** The sender's request id (Bolt 32-bit, Dubbo 64-bit kept as a bigint-safe number below 2^53, Thrift seqid). */
  readonly requestId: number;
  readonly bytes: Buffer;
  /** `bytes.length`, known without making `bytes` (codecs may make that view on first use). */
  readonly size: number;

  // Requests (empty strings when the protocol or the frame does not carry them).
  /** Interface / service name (Bolt `service` header without version, Dubbo path, Thrift multiplexed service). */
  readonly service: string;
  readonly method: string;
  readonly version: string;
  readonly group: string;
  /** The calling application, where the protocol carries it (Bolt `app`, Dubbo `application` attachment). */
  readonly application: string;
  /** Headers / attachments as a plain string map (Bolt header map, Dubbo attachments, Thrift THeader headers). */
  readonly headers: ReadonlyMap<string, string>;
  /** The timeout the caller put in the request, ms; 0 when none. */
  readonly requestTimeoutMs: number;
  /** Decodes the call's arguments (JSON-like values) for parameter routing; throws RpcProtocolError if it cannot. */
  args(): readonly unknown[];

  // Responses.
  readonly status: RpcResponseStatus;

  /**
   * The peer asks not to be sent new requests on this connection (Dubbo read-only event, Bolt GoAway cmdcode 100). Such a
   * frame is never routed nor answered; on an upstream connection the pool stops using it. Absent means false.
   */
  readonly goAway?: boolean | undefined;
  /**
   * Set when a request frame is delimited but its content cannot be served (unknown serialization, undecodable
   * body): the proxy answers `encodeLocalReply(frame, 'bad_request', badRequest)` instead of routing it.
   */
  readonly badRequest?: string | undefined;
  /**
   * `bytes.buffer`, when the codec knows it without asking each view (one read's frames share it): lets the writer
   * merge adjacent frames without a per-frame `.buffer` lookup, which V8 does not inline.
   */
  readonly backing?: ArrayBufferLike | undefined;
  /** With `backing`: the frame's first byte in it (`bytes.byteOffset`, which V8 does not inline either). */
  readonly backingOffset?: number | undefined;
}

/** Changes the proxy makes to a request before sending it upstream. */
export interface RpcRewrite {
  /** The upstream request id the proxy assigned on this upstream connection. */
  readonly requestId: number;
  /** Headers / attachments to set (e.g. the traffic colour), replacing existing values. */
  readonly setHeaders?: ReadonlyMap<string, string> | undefined;
  /**
   * The frame is sent this once and never again (no retry or mirror can reuse its bytes): the codec may patch
   * `frame.bytes` in place instead of copying them.
   */
  readonly inPlace?: boolean | undefined;
}

/** Codec state for one connection; the proxy makes one per downstream and one per upstream connection. */
export interface RpcConnectionCodec {
  /**
   * Appends bytes read from the socket and pushes every complete frame into `out`, keeping a partial frame for the
   * next call. Throws RpcProtocolError when the stream cannot be delimited or a frame exceeds `maxFrameBytes`.
   */
  decode(chunk: Buffer, out: RpcFrame[]): void;
  /** The frame to send upstream: `frame.bytes` with the request id (and headers, if asked) rewritten. */
  rewriteRequest(frame: RpcFrame, rewrite: RpcRewrite): Buffer;
  /**
   * The response to send downstream: `frame.bytes` with the request id set back to the downstream request's id. A
   * response is forwarded once, so the codec may patch `frame.bytes` in place and return them.
   */
  rewriteResponse(frame: RpcFrame, requestId: number): Buffer;
  /**
   * Optional fast paths: rewrites the frame where it lies (its `backing` at `backingOffset`, `size` bytes) and returns
   * true, so the proxy forwards that range without a Buffer view of it; false when the rewrite needs new bytes (the
   * proxy then calls rewriteRequest / rewriteResponse).
   */
  rewriteRequestInPlace?(frame: RpcFrame, rewrite: RpcRewrite): boolean;
  rewriteResponseInPlace?(frame: RpcFrame, requestId: number): boolean;
  /** The protocol's error response to `request` for a local failure; undefined for oneway requests. */
  encodeLocalReply(request: RpcFrame, status: RpcLocalStatus, message: string): Buffer | undefined;
  /** The answer to a downstream heartbeat. */
  encodeHeartbeatReply(heartbeat: RpcFrame): Buffer;
  /** A heartbeat the proxy sends on an idle pooled upstream connection; undefined when the protocol has none. */
  encodeHeartbeat(requestId: number): Buffer | undefined;
  /**
   * A frame telling the peer to stop sending new requests on this connection (Bolt GoAway, Dubbo read-only event),
   * used for drain; undefined when the protocol has none (the proxy then closes once in-flight calls finish).
   */
  encodeGoAway(): Buffer | undefined;
  /**
   * Hot upgrade: hands over the bytes of a frame not yet complete (the codec forgets them), so the connection can
   * resume mid-frame in the next process; an empty buffer when the stream is at a frame boundary.
   */
  takePartial(): Buffer;
}

export interface RpcCodecOptions {
  /** Frames above this size are a protocol error (default set by the RPC proxy config). */
  readonly maxFrameBytes: number;
}

/** A protocol: detection plus a per-connection codec. Registered by name (`bolt`, `dubbo`, `thrift`). */
export interface RpcCodec {
  readonly name: string;
  /** Looks at the first bytes of a downstream connection (for listeners configured with several codecs). */
  match(head: Buffer): CodecMatch;
  /**
   * Whether the protocol's clients may be sent `encodeGoAway()` while calls are in flight. False when common clients
   * drop the connection on it (sofa-rpc-node on Bolt GoAway): drain then sends it only once the connection is idle,
   * right before closing. Absent means true.
   */
  readonly goAwayOnlyWhenIdle?: boolean;
  createConnectionCodec(options: RpcCodecOptions): RpcConnectionCodec;
}
