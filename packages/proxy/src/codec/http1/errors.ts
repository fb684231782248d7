/**
 * Parse errors of the HTTP/1.1 codec. Each code has a fixed HTTP status (what a server answers before closing) and
 * an Envoy-style detail string for access logs (`%RESPONSE_CODE_DETAILS%`). A response parser reports the same
 * codes; the router maps any of them to a 502/503 of its own.
 */

const DEFS = {
  WEFT_ERR_HTTP1_INVALID_METHOD: [400, 'http1.codec_error', 'invalid request method'],
  WEFT_ERR_HTTP1_INVALID_TARGET: [400, 'http1.codec_error', 'invalid request target'],
  WEFT_ERR_HTTP1_INVALID_VERSION: [400, 'http1.codec_error', 'malformed HTTP version'],
  WEFT_ERR_HTTP1_UNSUPPORTED_VERSION: [505, 'http1.codec_error', 'unsupported HTTP version'],
  WEFT_ERR_HTTP1_INVALID_STATUS_LINE: [400, 'http1.codec_error', 'invalid status line'],
  WEFT_ERR_HTTP1_TOO_MANY_EMPTY_LINES: [400, 'http1.codec_error', 'too many empty lines before the start line'],
  WEFT_ERR_HTTP1_BARE_LF: [400, 'http1.codec_error', 'LF without CR'],
  WEFT_ERR_HTTP1_BARE_CR: [400, 'http1.codec_error', 'CR not followed by LF'],
  WEFT_ERR_HTTP1_OBS_FOLD: [400, 'http1.codec_error', 'obsolete line folding or whitespace before a field line'],
  WEFT_ERR_HTTP1_INVALID_HEADER_NAME: [400, 'http1.invalid_characters', 'invalid header field name'],
  WEFT_ERR_HTTP1_WHITESPACE_BEFORE_COLON: [400, 'http1.invalid_characters', 'whitespace between field name and colon'],
  WEFT_ERR_HTTP1_INVALID_HEADER_VALUE: [400, 'http1.invalid_characters', 'invalid character in header field value'],
  WEFT_ERR_HTTP1_HEADERS_TOO_LARGE: [431, 'http1.headers_too_large', 'header section too large'],
  WEFT_ERR_HTTP1_TOO_MANY_HEADERS: [431, 'http1.too_many_headers', 'too many header fields'],
  WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH: [400, 'http1.content_length_not_allowed', 'invalid Content-Length'],
  WEFT_ERR_HTTP1_CONFLICTING_CONTENT_LENGTH: [400, 'http1.content_length_not_allowed', 'Content-Length values differ'],
  WEFT_ERR_HTTP1_CONTENT_LENGTH_AND_TRANSFER_ENCODING: [400, 'http1.content_length_and_chunked_not_allowed', 'both Content-Length and Transfer-Encoding'],
  WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING: [400, 'http1.invalid_transfer_encoding', 'invalid Transfer-Encoding'],
  WEFT_ERR_HTTP1_UNSUPPORTED_TRANSFER_ENCODING: [501, 'http1.invalid_transfer_encoding', 'unsupported transfer coding'],
  WEFT_ERR_HTTP1_TRANSFER_ENCODING_IN_HTTP10: [400, 'http1.invalid_transfer_encoding', 'Transfer-Encoding in an HTTP/1.0 request'],
  WEFT_ERR_HTTP1_MISSING_HOST: [400, 'http1.codec_error', 'HTTP/1.1 request without Host'],
  WEFT_ERR_HTTP1_MULTIPLE_HOST: [400, 'http1.codec_error', 'more than one Host header'],
  WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE: [400, 'http1.codec_error', 'invalid chunk size'],
  WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION: [400, 'http1.codec_error', 'invalid chunk extension'],
  WEFT_ERR_HTTP1_INVALID_CHUNK_END: [400, 'http1.codec_error', 'chunk data not followed by CRLF'],
  WEFT_ERR_HTTP1_PREMATURE_EOF: [400, 'http1.codec_error', 'connection closed in the middle of a message'],
} as const satisfies Record<string, readonly [Http1ErrorStatus, string, string]>;

export type Http1ErrorStatus = 400 | 413 | 431 | 501 | 505;
export type Http1ErrorCode = keyof typeof DEFS;

export class Http1ParseError extends Error {
  readonly code: Http1ErrorCode;
  /** Status a server answers with before closing the connection. */
  readonly status: Http1ErrorStatus;
  /** Envoy-style response code details, e.g. `http1.invalid_transfer_encoding`. */
  readonly reason: string;
  /** Bytes of the current message consumed when the error was found (diagnostics only). */
  readonly offset: number;

  constructor(code: Http1ErrorCode, offset = 0) {
    const def = DEFS[code];
    super(def[2]);
    this.name = 'Http1ParseError';
    this.code = code;
    this.status = def[0];
    this.reason = def[1];
    this.offset = offset;
  }
}
