import type net from 'node:net';
import { Http1Parser } from '../codec/http1/parser.js';
import type { Http1ParseError } from '../codec/http1/errors.js';
import type { Http1ParserHandler, ResponseHead } from '../codec/http1/types.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { ConnectionReader, PooledConnection } from './connection-pool.js';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';

/** Receives the parsed response of the request currently using an upstream connection. */
export interface UpstreamResponseHandler {
  onUpstreamHead(head: ResponseHead): void;
  onUpstreamBody(chunk: Buffer): void;
  onUpstreamTrailers(trailers: HeaderMap): void;
  onUpstreamComplete(): void;
  onUpstreamError(err: Http1ParseError): void;
  onUpstreamClose(): void;
  onUpstreamDrain(): void;
  /** Raw mode (after an accepted upgrade / CONNECT): the upstream half-closed the tunnel. */
  onUpstreamTunnelEnd(): void;
}

/**
 * The HTTP/1 client codec bound to one pooled upstream socket for its whole life: one response parser and one set
 * of socket listeners, pointed at whichever request currently holds the connection.
 */
export class UpstreamHttp1Codec implements Http1ParserHandler, ConnectionReader {
  private readonly parser = new Http1Parser('response', this);
  private handler: UpstreamResponseHandler | undefined;
  /** After a 101 / CONNECT 2xx head: bytes are tunnel payload, not parsed. */
  private raw = false;
  /** Whether any byte arrived since the current request attached (a close before that is the keep-alive race). */
  received = false;

  private constructor(readonly socket: net.Socket) {
    // A pool reading for us (userReads) calls onConnectionData and emits no 'data' events; otherwise 'data' it is.
    socket.on('data', (chunk: Buffer) => this.onConnectionData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.handler?.onUpstreamClose());
    socket.on('drain', () => this.handler?.onUpstreamDrain());
  }

  onConnectionData(chunk: Buffer): void {
    this.received = true;
    enterIoScope();
    try {
      if (this.raw) {
        this.handler?.onUpstreamBody(chunk);
        return;
      }
      this.parser.execute(chunk);
      if (this.raw) {
        // What followed the upgrade head in the same read.
        const rest = this.parser.takeRemainder();
        if (rest !== undefined && rest.length !== 0) this.handler?.onUpstreamBody(rest);
      }
    } finally {
      exitIoScope();
    }
  }

  /** The codec of a pooled connection, created with it on first use. */
  static of(conn: PooledConnection): UpstreamHttp1Codec {
    const reader = conn.reader;
    if (reader instanceof UpstreamHttp1Codec) return reader;
    const codec = new UpstreamHttp1Codec(conn.socket);
    conn.reader = codec;
    return codec;
  }

  /**
   * Peer FIN. Pooled sockets are half-open capable (for tcp_proxy), so 'close' would not follow by itself: a
   * read-until-close body completes here, anything else is a premature close.
   */
  private onEnd(): void {
    if (this.raw) {
      this.handler?.onUpstreamTunnelEnd();
      return;
    }
    this.parser.finish();
    this.handler?.onUpstreamClose();
  }

  attach(handler: UpstreamResponseHandler, headRequest: boolean): void {
    this.handler = handler;
    this.received = false;
    if (headRequest) this.parser.expectNoBody();
  }

  /** The request is a CONNECT: a 2xx answer ends at its head and the connection tunnels. */
  expectTunnel(): void {
    this.parser.expectTunnel();
  }

  /** Called from the upgrade head's callback: from now on bytes go to the handler as they arrive. */
  startRaw(): void {
    this.raw = true;
  }

  detach(): void {
    this.handler = undefined;
  }

  onResponseHead(head: ResponseHead): void {
    this.handler?.onUpstreamHead(head);
  }

  onBody(chunk: Buffer): void {
    this.handler?.onUpstreamBody(chunk);
  }

  onTrailers(trailers: HeaderMap): void {
    this.handler?.onUpstreamTrailers(trailers);
  }

  onMessageComplete(): void {
    const h = this.handler;
    if (h) h.onUpstreamComplete();
  }

  /** The owner releases the connection as not reusable; the pool closes it. */
  onError(err: Http1ParseError): void {
    const h = this.handler;
    this.handler = undefined;
    h?.onUpstreamError(err);
  }
}
