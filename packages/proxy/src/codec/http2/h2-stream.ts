/**
 * One stream's state inside an Http2Session: flow-control windows both ways, data waiting for send window, and
 * whether each side has ended. `user` is the connection layer's object for the stream.
 */
export class H2Stream<U = unknown> {
  user: U | undefined;
  /** Bytes we may still send (the peer's window for this stream); may go negative after a SETTINGS change. */
  sendWindow: number;
  /** Bytes the peer may still send us before we return credit. */
  recvWindow: number;
  /** Received bytes the application consumed, not yet returned in a WINDOW_UPDATE. */
  unacked = 0;
  /** Received bytes held back while reading is disabled. */
  held = 0;
  readDisabled = false;
  /** Data waiting for window; `pendingBytes` counts it. */
  pending: Buffer[] | undefined;
  pendingBytes = 0;
  /** END_STREAM goes out with the last pending byte (or the pending trailers). */
  pendingEnd = false;
  /** A trailer block waiting behind pending data. */
  pendingTrailers: Buffer | undefined;
  /** encodeData returned false: tell the stream when it may write again. */
  wantsWritable = false;
  /** Headers received (the next HEADERS are trailers, or interim 1xx on a client). */
  headersReceived = false;
  remoteEnded = false;
  localEnded = false;
  closed = false;
  /** Reset with NO_ERROR once our side has ended if the peer's has not (a response that ends before the request). */
  rstWhenDone = false;
  /** The peer's content-length, -1 when absent (RFC 9113 §8.1.1). */
  expectedLength = -1;
  receivedLength = 0;

  constructor(
    readonly id: number,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }
}
