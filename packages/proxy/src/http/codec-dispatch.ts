import { selectCodec } from '../codec/http2/select.js';
import type { DownstreamConnection } from '../interfaces/network-filter.js';
import type { HcmConfig } from './hcm-config.js';
import { Http1ServerConnection } from './http1-server-connection.js';
import { Http2ServerConnection } from './http2-server-connection.js';

const EMPTY = Buffer.alloc(0);

/**
 * Starts the HTTP codec for a new downstream connection: forced by `codec_type`, by the negotiated ALPN (`alpn`,
 * '' for plaintext), or — AUTO over plaintext — by the first bytes (the HTTP/1 connection sniffs for the HTTP/2
 * preface and hands the connection over when it sees it).
 */
export function startHttpConnection(cfg: HcmConfig, conn: DownstreamConnection, alpn = ''): void {
  const choice = cfg.codecType === 'HTTP1' ? 'http1' : cfg.codecType === 'HTTP2' ? 'http2' : selectCodec(EMPTY, alpn);
  if (choice === 'http2') {
    new Http2ServerConnection(cfg, conn).start();
    return;
  }
  const h1 = new Http1ServerConnection(cfg, conn);
  if (choice === 'http1') h1.start();
  else h1.start((initial) => new Http2ServerConnection(cfg, conn).start(initial, true));
}
