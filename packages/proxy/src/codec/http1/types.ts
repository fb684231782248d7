import type { HeaderMap } from '../../interfaces/header-map.js';
import type { Http1ParseError } from './errors.js';

export type ParserKind = 'request' | 'response';

export interface RequestHead {
  method: string;
  target: string;
  versionMinor: 0 | 1;
  /** Lower-case names, wire order. Identical duplicate Content-Length values are folded into one entry. */
  headers: HeaderMap;
  /** -1 when the request has no Content-Length. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  /** `Upgrade` + `Connection: upgrade` on HTTP/1.1, or CONNECT: the parser stops after this head (see takeRemainder). */
  upgrade: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request. */
  expectContinue: boolean;
  /** Bytes of the head: start line, field lines and the terminating CRLF (leading empty lines excluded). */
  headerBytes: number;
}

export interface ResponseHead {
  status: number;
  reason: string;
  versionMinor: 0 | 1;
  headers: HeaderMap;
  contentLength: number;
  chunked: boolean;
  /** False also when the body is delimited by the connection closing. */
  keepAlive: boolean;
  /** 101, or a 2xx answer after expectTunnel(): the parser stops after this head (see takeRemainder). */
  upgrade: boolean;
  headerBytes: number;
}

export interface Http1ParserHandler {
  /** Request parser: one call per request head. */
  onRequestHead?(head: RequestHead): void;
  /** Response parser: 1xx heads (except 101) are delivered too, then parsing continues with the final response. */
  onResponseHead?(head: ResponseHead): void;
  /**
   * A view (`subarray`) into a buffer passed to `execute`, never a copy. Keeping it is safe when those buffers are
   * not reused by their producer — true for buffers Node's sockets emit (each `data` chunk is a fresh allocation) —
   * but a caller that recycles its input buffers must copy.
   */
  onBody(chunk: Buffer): void;
  /** Only when the chunked body ended with at least one trailer field; called before onMessageComplete. */
  onTrailers(trailers: HeaderMap): void;
  onMessageComplete(): void;
  /** The parser is dead afterwards: further input is ignored. */
  onError(err: Http1ParseError): void;
}

export interface Http1ParserLimits {
  /** Maximum bytes of a head (and, separately, of a trailer section). Default 60 KiB (Envoy's max_request_headers_kb). */
  maxHeaderBytes?: number;
  /** Maximum header (or trailer) fields per message. Default 100 (Envoy's max_headers_count). */
  maxHeaders?: number;
}
