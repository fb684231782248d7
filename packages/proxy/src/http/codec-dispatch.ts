import { selectCodec } from '../codec/http2/select.js';
import type { DownstreamConnection } from '../interfaces/network-filter.js';
import type { HcmConfig } from './hcm-config.js';
import { Http1ServerConnection } from './http1-server-connection.js';
import { Http2ServerConnection } from './http2-server-connection.js';

const EMPTY = Buffer.alloc(0);

/**
 * Starts the HTTP codec for a new downstream connection: forced by `codec_type`, by the negotiated ALPN (`alpn`,
 * '' for plaintext), or — AUTO over plaintext — by sniffing the first bytes for the HTTP/2 preface.
 */
export function startHttpConnection(cfg: HcmConfig, conn: DownstreamConnection, alpn = ''): void {
  if (cfg.codecType === 'HTTP1') {
    new Http1ServerConnection(cfg, conn).start();
    return;
  }
  if (cfg.codecType === 'HTTP2') {
    new Http2ServerConnection(cfg, conn).start();
    return;
  }
  const choice = selectCodec(EMPTY, alpn);
  if (choice === 'need-more') new CodecSniffer(cfg, conn).start();
  else startCodec(cfg, conn, choice, undefined);
}

function startCodec(cfg: HcmConfig, conn: DownstreamConnection, codec: 'http1' | 'http2', initial: Buffer | undefined): void {
  if (codec === 'http2') new Http2ServerConnection(cfg, conn).start(initial);
  else new Http1ServerConnection(cfg, conn).start(initial);
}

/** Reads until the first bytes tell HTTP/2 prior knowledge from HTTP/1 (at most the 24-byte preface). */
class CodecSniffer {
  private buffered: Buffer = EMPTY;
  private timer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onGone = (): void => this.gone();

  constructor(
    private readonly cfg: HcmConfig,
    private readonly conn: DownstreamConnection,
  ) {}

  start(): void {
    const socket = this.conn.socket;
    socket.on('data', this.onData);
    socket.once('end', this.onGone);
    socket.once('close', this.onGone);
    this.conn.setDrainable({ startDrain: this.onGone, close: this.onGone });
    // A connection that never sends a byte is idle: the codec's idle timeout applies.
    if (this.cfg.idleTimeoutMs > 0) {
      this.timer = setTimeout(this.onGone, this.cfg.idleTimeoutMs);
      this.timer.unref();
    }
  }

  private data(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const choice = selectCodec(this.buffered, '');
    if (choice === 'need-more') return;
    this.detach();
    this.conn.socket.pause();
    startCodec(this.cfg, this.conn, choice, this.buffered);
  }

  private gone(): void {
    this.detach();
    this.conn.socket.destroy();
  }

  private detach(): void {
    const socket = this.conn.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onGone);
    socket.off('close', this.onGone);
    if (this.timer) clearTimeout(this.timer);
  }
}
