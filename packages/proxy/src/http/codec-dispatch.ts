import { selectCodec } from '../codec/http2/select.js';
import type { DownstreamConnection } from '../interfaces/network-filter.js';
import type { HcmConfig } from './hcm-config.js';
import { Http1ServerConnection } from './http1-server-connection.js';
import { Http2ServerConnection } from './http2-server-connection.js';
import { H2ServerConnection } from './h2-server-connection.js';

/** Temporary switch while Weft's own HTTP/2 codec replaces node:http2 downstream. */
const OWN_H2 = process.env['WEFT_H2_CODEC'] === 'own';
type H2Conn = { start(initial?: Buffer, counted?: boolean): void };
function h2Connection(cfg: HcmConfig, conn: DownstreamConnection): H2Conn {
  return OWN_H2 ? new H2ServerConnection(cfg, conn) : new Http2ServerConnection(cfg, conn);
}

const EMPTY = Buffer.alloc(0);

/**
 * Starts the HTTP codec for a new downstream connection: forced by `codec_type`, by the negotiated ALPN (`alpn`,
 * '' for plaintext), or — AUTO over plaintext — by the first bytes (the HTTP/1 connection sniffs for the HTTP/2
 * preface and hands the connection over when it sees it).
 */
export function startHttpConnection(cfg: HcmConfig, conn: DownstreamConnection, alpn = ''): void {
  const choice = cfg.codecType === 'HTTP1' ? 'http1' : cfg.codecType === 'HTTP2' ? 'http2' : selectCodec(EMPTY, alpn);
  if (choice === 'http2') {
    h2Connection(cfg, conn).start();
    return;
  }
  const h1 = new Http1ServerConnection(cfg, conn);
  if (choice === 'http1') h1.start();
  else h1.start((initial) => h2Connection(cfg, conn).start(initial, true));
}
