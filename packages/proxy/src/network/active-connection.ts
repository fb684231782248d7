import type net from 'node:net';
import type { DetachedSocket, Drainable, DownstreamConnection } from '../interfaces/network-filter.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import type { TlsConnectionInfo } from '../interfaces/transport-socket.js';
import type { ConnectionMeta } from './filter-chain-match.js';

let nextConnectionId = 1;

/** An accepted connection with its filter chain chosen; with TLS, the socket is swapped after the handshake. */
export class ActiveConnection implements DownstreamConnection {
  readonly id = nextConnectionId++;
  readonly info = new StreamInfo();
  draining = false;
  socket: net.Socket;
  tls: TlsConnectionInfo | undefined = undefined;
  private drainable: Drainable | undefined;
  /** The listener's 'close' handler on the socket (removed when the connection moves to another process). */
  onSocketClose: (() => void) | undefined = undefined;

  constructor(
    socket: net.Socket,
    readonly meta: ConnectionMeta,
    readonly listenerName: string,
    readonly bufferLimitBytes: number,
    startMonotonicMs: number,
  ) {
    this.socket = socket;
    const info = this.info;
    info.connectionId = this.id;
    info.startMonotonicMs = startMonotonicMs;
    info.downstreamRemoteAddress = meta.sourceIp;
    info.downstreamRemotePort = meta.sourcePort;
    info.downstreamLocalAddress = meta.destinationIp;
    info.downstreamLocalPort = meta.destinationPort;
    info.downstreamLocalAddressRestored = meta.localAddressRestored === true;
    info.downstreamDirectRemoteAddress = meta.sourceIp;
    info.requestedServerName = meta.serverName;
  }

  secured(socket: net.Socket, tls: TlsConnectionInfo): void {
    this.socket = socket;
    this.tls = tls;
    this.info.downstreamTls = tls;
    if (tls.sni) this.info.requestedServerName = tls.sni;
  }

  setDrainable(drainable: Drainable): void {
    this.drainable = drainable;
  }

  startDrain(): void {
    if (this.draining) return;
    this.draining = true;
    this.drainable?.startDrain();
  }

  /** Hot upgrade: the socket and its unread bytes if the filter can let go of it now (never a TLS connection). */
  detachForUpgrade(): DetachedSocket | undefined {
    if (this.tls !== undefined || this.draining) return undefined;
    return this.drainable?.detachForUpgrade?.();
  }

  /** Hot upgrade of a busy connection (see Drainable.detachWhenIdle); never a TLS or draining connection. */
  detachWhenIdle(done: (d: DetachedSocket | undefined) => void): DetachedSocket | 'pending' | undefined {
    if (this.tls !== undefined || this.draining) return undefined;
    return this.drainable?.detachWhenIdle?.(done);
  }

  cancelDetach(): void {
    this.drainable?.cancelDetach?.();
  }

  /** The socket moved to another process: the listener's close bookkeeping runs now (stats), the socket stays open. */
  handedOff(): void {
    const onClose = this.onSocketClose;
    if (onClose === undefined) return;
    this.socket.off('close', onClose);
    this.onSocketClose = undefined;
    onClose();
  }

  close(reason: string): void {
    if (this.drainable) this.drainable.close(reason);
    else this.socket.destroy();
  }
}
