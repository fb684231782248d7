import type net from 'node:net';
import type { ConnectionMeta } from '../network/filter-chain-match.js';
import type { StreamInfo } from './stream-info.js';
import type { TlsConnectionInfo } from './transport-socket.js';

/** A drain request: the listener is going away or the server is shutting down/upgrading. */
export interface Drainable {
  /** Ask the connection to finish gracefully (HTTP/1: `Connection: close` on the next response). */
  startDrain(): void;
  /** Close now. */
  close(reason: string): void;
  /**
   * Hot upgrade: when the connection is idle (nothing in flight, nothing left to write) and its protocol lets it
   * move to another process, stops reading, lets go of the socket without closing it (listeners removed, stats
   * released as on a close, no GoAway) and returns it with the bytes read but not consumed. Undefined when it
   * cannot move now (it then drains here). Absent for filters whose connections never move (HTTP, tcp_proxy).
   */
  detachForUpgrade?(): DetachedSocket | undefined;
  /**
   * Hot upgrade of a busy connection: stops reading now (later requests wait in the kernel), lets the calls in
   * flight finish and their responses flush, then lets go of the socket as detachForUpgrade does and calls `done`
   * with it. Returns the socket at once when already idle, 'pending' when `done` will be called later (never
   * synchronously; with undefined if the connection closed meanwhile or cancelDetach() was called), undefined when
   * it cannot move (nothing changed).
   */
  detachWhenIdle?(done: (d: DetachedSocket | undefined) => void): DetachedSocket | 'pending' | undefined;
  /** Gives up a pending detachWhenIdle(): reading resumes here and the held bytes are served. */
  cancelDetach?(): void;
}

/** A socket a network filter let go of, with the bytes it had read but not consumed (oldest first). */
export interface DetachedSocket {
  readonly socket: net.Socket;
  readonly unread: Buffer;
}

/** An accepted downstream connection handed to the terminal network filter of the selected filter chain. */
export interface DownstreamConnection {
  readonly id: number;
  /** The connection's socket: a `tls.TLSSocket` (already past its handshake) when `tls` is set. */
  readonly socket: net.Socket;
  /** What the TLS handshake negotiated (ALPN, SNI, peer certificate); undefined for plaintext connections. */
  readonly tls: TlsConnectionInfo | undefined;
  readonly meta: ConnectionMeta;
  /** Connection-level info (TCP access logs use it directly). */
  readonly info: StreamInfo;
  readonly listenerName: string;
  readonly bufferLimitBytes: number;
  /** Registers the filter's drain handling; the listener calls it on drain/removal. */
  setDrainable(drainable: Drainable): void;
  /** Whether the listener is draining: the connection should end after its current exchange. */
  readonly draining: boolean;
}

/** Per-connection entry of a terminal network filter. Created once per filter chain by its config factory. */
export type NetworkFilterHandler = (conn: DownstreamConnection) => void;
