import type { Counter, Histogram, Scope } from '../../../../interfaces/stats.js';
import type { ListenerFilter, ListenerFilterCallbacks, ListenerFilterWait } from '../../../../network/listener-filter-registry.js';
import { parseClientHello } from './client-hello.js';

export interface TlsInspectorStats {
  readonly clientHelloTooLarge: Counter;
  readonly tlsFound: Counter;
  readonly tlsNotFound: Counter;
  readonly alpnFound: Counter;
  readonly alpnNotFound: Counter;
  readonly sniFound: Counter;
  readonly sniNotFound: Counter;
  readonly bytesProcessed: Histogram;
}

/** Envoy roots these at `tls_inspector.` in the server scope. */
export function tlsInspectorStats(root: Scope): TlsInspectorStats {
  const s = root.scope('tls_inspector');
  return {
    clientHelloTooLarge: s.counter('client_hello_too_large'),
    tlsFound: s.counter('tls_found'),
    tlsNotFound: s.counter('tls_not_found'),
    alpnFound: s.counter('alpn_found'),
    alpnNotFound: s.counter('alpn_not_found'),
    sniFound: s.counter('sni_found'),
    sniNotFound: s.counter('sni_not_found'),
    bytesProcessed: s.histogram('bytes_processed', 'bytes'),
  };
}

/** Peeks the ClientHello: SNI, ALPN and transport protocol for filter chain selection. The bytes are put back. */
export class TlsInspector implements ListenerFilter {
  constructor(private readonly stats: TlsInspectorStats) {}

  onAccept(cb: ListenerFilterCallbacks): ListenerFilterWait | undefined {
    return new Inspection(cb, this.stats);
  }
}

class Inspection implements ListenerFilterWait {
  private buffered: Buffer | undefined;
  private done = false;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => {
    if (this.done) return;
    this.release();
    this.cb.peerClosed();
  };

  constructor(
    private readonly cb: ListenerFilterCallbacks,
    private readonly stats: TlsInspectorStats,
  ) {
    cb.socket.on('data', this.onData);
    cb.socket.once('end', this.onEnd);
    cb.socket.once('close', this.onEnd);
    cb.socket.resume();
  }

  abort(): void {
    if (this.done) return;
    this.release();
  }

  private data(chunk: Buffer): void {
    const buf = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = buf;
    const r = parseClientHello(buf);
    switch (r.kind) {
      case 'need-more':
        return;
      case 'too-large':
        this.stats.clientHelloTooLarge.inc();
        this.finish(false);
        return;
      case 'not-tls':
        this.stats.tlsNotFound.inc();
        this.stats.bytesProcessed.record(buf.length);
        this.finish(true);
        return;
      case 'tls': {
        const meta = this.cb.meta;
        this.stats.tlsFound.inc();
        this.stats.bytesProcessed.record(buf.length);
        meta.transportProtocol = 'tls';
        if (r.sni) {
          meta.serverName = r.sni;
          this.stats.sniFound.inc();
        } else {
          this.stats.sniNotFound.inc();
        }
        if (r.alpn.length > 0) {
          meta.applicationProtocols = r.alpn;
          this.stats.alpnFound.inc();
        } else {
          this.stats.alpnNotFound.inc();
        }
        this.finish(true);
      }
    }
  }

  /** Stops reading and puts the peeked bytes back for whoever reads next (TLS socket or network filter). */
  private release(): void {
    this.done = true;
    const s = this.cb.socket;
    s.pause();
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    if (this.buffered !== undefined) s.unshift(this.buffered);
    this.buffered = undefined;
  }

  private finish(ok: boolean): void {
    if (this.done) return;
    this.release();
    this.cb.next(ok);
  }
}
