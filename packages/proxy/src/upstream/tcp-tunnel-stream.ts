import { HeaderMap } from '../interfaces/header-map.js';
import type {
  HttpStreamPool,
  PendingStream,
  UpstreamRequestLine,
  UpstreamStream,
  UpstreamStreamCallbacks,
  UpstreamStreamReadyHandler,
} from '../interfaces/upstream-stream.js';
import { reportPoolFailure } from './pool-error.js';
import type { ConnectionPool, PooledConnection, PoolError, PoolReadyHandler } from './connection-pool.js';

const EMPTY = Buffer.alloc(0);

/**
 * CONNECT terminated by the proxy (route `upgrade_configs: [{upgrade_type: CONNECT, connect_config: {}}]`): each
 * stream is a raw TCP connection to the host from the cluster's half-open 'tcp' pool. Nothing of the request head
 * goes upstream; once connected the stream answers 200 itself, then bytes flow both ways unchanged.
 */
export class TcpTunnelPool implements HttpStreamPool {
  readonly protocol = 'TCP';

  constructor(private readonly pool: ConnectionPool) {}

  newStream(callbacks: UpstreamStreamCallbacks, ready: UpstreamStreamReadyHandler): PendingStream | null {
    return this.pool.acquire(new TcpTunnelStream(this.pool, callbacks, ready)) ?? null;
  }
}

class TcpTunnelStream implements UpstreamStream, PoolReadyHandler {
  readonly protocol = 'TCP';
  readonly staleConnection = false;
  localAddress = '';
  private conn: PooledConnection | undefined;
  private paused = false;
  // Bound once per tunnel (a tunnel is as long-lived as a connection).
  private readonly onData = (chunk: Buffer): void => {
    if (this.conn !== undefined) this.cb.onUpstreamData(chunk, false);
  };
  private readonly onEnd = (): void => {
    if (this.conn === undefined) return;
    this.release();
    this.cb.onUpstreamData(EMPTY, true);
  };
  private readonly onClose = (): void => {
    if (this.conn === undefined) return;
    this.release();
    this.cb.onUpstreamReset('connection_termination', '');
  };
  private readonly onDrain = (): void => {
    if (this.conn !== undefined) this.cb.onUpstreamWritable();
  };

  constructor(
    private readonly pool: ConnectionPool,
    private readonly cb: UpstreamStreamCallbacks,
    private readonly ready: UpstreamStreamReadyHandler,
  ) {}

  onPoolReady(err: PoolError | undefined, conn: PooledConnection | undefined): void {
    if (err !== undefined || conn === undefined) {
      reportPoolFailure(this.ready, err);
      return;
    }
    this.conn = conn;
    this.localAddress = conn.localAddress;
    const s = conn.socket;
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('close', this.onClose);
    s.on('drain', this.onDrain);
    this.ready.onStreamReady(this);
  }

  encodeHeaders(_line: UpstreamRequestLine, _headers: HeaderMap, endStream: boolean): void {
    if (this.conn === undefined) return;
    // Envoy answers a terminated CONNECT with a bare 200 once the TCP connection is up.
    this.cb.onUpstreamHeaders(200, new HeaderMap(), false);
    if (endStream) this.conn?.socket.end();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const conn = this.conn;
    if (conn === undefined) return true;
    let ok = true;
    if (data.length !== 0) ok = conn.socket.write(data);
    if (endStream) conn.socket.end();
    return ok;
  }

  encodeTrailers(_trailers: HeaderMap): void {
    this.conn?.socket.end();
  }

  readDisable(disable: boolean): void {
    const conn = this.conn;
    if (conn === undefined || disable === this.paused) return;
    this.paused = disable;
    if (disable) conn.socket.pause();
    else conn.socket.resume();
  }

  reset(): void {
    this.release();
  }

  private release(): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.conn = undefined;
    const s = conn.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onClose);
    s.off('drain', this.onDrain);
    this.pool.release(conn, false);
  }
}
