import type { HeaderMap } from '../interfaces/header-map.js';

/** The codec side of one stream's response: implemented per protocol (HTTP/1 now, HTTP/2 later). */
export interface ResponseEncoder {
  /** Interim `100 Continue` for a request that expects it. */
  encode100Continue(): void;
  encodeHeaders(status: number, headers: HeaderMap, endStream: boolean): void;
  /** Returns false when the downstream buffer is above its high watermark. */
  encodeData(data: Buffer, endStream: boolean): boolean;
  encodeTrailers(trailers: HeaderMap): void;
  /** Abort the response (HTTP/1: close the connection). */
  resetStream(): void;
  /** Stop/resume reading the request body. */
  readDisable(disable: boolean): void;
  /** The response must be the last one on this connection (adds `connection: close`). */
  closeAfterResponse(): void;
}
