import type { StreamInfo } from '../../interfaces/stream-info.js';

/**
 * What an access log line is formatted from. HTTP pseudo-headers are not in `info.requestHeaders` (HeaderMap holds
 * regular headers only), so the connection manager passes them here; TCP passes `{ info }`. A stream object may
 * implement this interface itself to avoid allocating a context per request.
 */
export interface AccessLogContext {
  readonly info: StreamInfo;
  /** `:method` */
  readonly method?: string | undefined;
  /** `:path` (with query) */
  readonly path?: string | undefined;
  /** `:authority` / `host` */
  readonly authority?: string | undefined;
  /** `:scheme` */
  readonly scheme?: string | undefined;
}
