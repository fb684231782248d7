import type { ResponseHead } from '../codec/http1/types.js';
import type { Http1ParseError } from '../codec/http1/errors.js';
import { encodeChunkHeader, encodeLastChunk, encodeTrustedRequestHead } from '../codec/http1/encoder.js';
import { writeBytes, writeLatin1 } from '../network/fast-write.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type {
  HttpStreamPool,
  PendingStream,
  UpstreamRequestLine,
  UpstreamStream,
  UpstreamStreamCallbacks,
  UpstreamStreamReadyHandler,
} from '../interfaces/upstream-stream.js';
import type { ClusterStats } from './cluster-stats.js';
import { reportPoolFailure } from './pool-error.js';
import type { ConnectionPool, PooledConnection, PoolError, PoolReadyHandler } from './connection-pool.js';
import { UpstreamHttp1Codec, type UpstreamResponseHandler } from './http1-upstream-codec.js';

const CRLF = '\r\n';
const EMPTY = Buffer.alloc(0);

/** HTTP/1.1 streams over a host's connection pool: one exchange per connection at a time. */
export class Http1StreamPool implements HttpStreamPool {
  readonly protocol = 'HTTP/1.1';

  constructor(
    readonly pool: ConnectionPool,
    private readonly stats: ClusterStats,
  ) {}

  newStream(callbacks: UpstreamStreamCallbacks, ready: UpstreamStreamReadyHandler, fresh = false): PendingStream | null {
    const stream = new Http1UpstreamStream(this.pool, this.stats, callbacks, ready);
    return this.pool.acquire(stream, fresh) ?? null;
  }
}

/**
 * One request/response on a pooled HTTP/1.1 connection. The connection goes back to the pool when the response
 * completed and the request was fully sent (reusable), or closed on any abnormal end.
 */
class Http1UpstreamStream implements UpstreamStream, UpstreamResponseHandler, PoolReadyHandler {
  readonly protocol = 'HTTP/1.1';
  localAddress = '';
  staleConnection = false;
  private conn: PooledConnection | undefined;
  private codec: UpstreamHttp1Codec | undefined;
  private chunked = false;
  private requestSent = false;
  private paused = false;
  private noBodyHead: ResponseHead | undefined;
  private keepAlive = false;
  private isHead = false;
  private corked = false;
  /** Upgrade / CONNECT request: no body framing, and the connection is never reused. */
  private tunnel = false;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly stats: ClusterStats,
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
    if (conn.requests === 1) this.stats.upstream_cx_http1_total.inc();
    this.codec = UpstreamHttp1Codec.of(conn);
    this.ready.onStreamReady(this);
  }

  encodeHeaders(line: UpstreamRequestLine, headers: HeaderMap, endStream: boolean): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.isHead = line.method === 'HEAD';
    const codec = this.codec as UpstreamHttp1Codec;
    codec.attach(this, this.isHead);
    const connect = line.method === 'CONNECT';
    this.tunnel = connect || headers.has('upgrade');
    if (connect) codec.expectTunnel();
    if (!endStream && !this.tunnel && !headers.has('content-length')) {
      this.chunked = true;
      headers.set('transfer-encoding', 'chunked');
    }
    // CONNECT carries the authority as its target (authority-form).
    const head = encodeTrustedRequestHead(line.method, connect ? line.authority : line.path, headers);
    if (endStream) {
      writeLatin1(conn.socket, head);
      this.requestSent = true;
      if (this.tunnel) conn.socket.end(); // the client half-closed before the upstream was ready
      return;
    }
    // The body usually follows in the same tick: one segment for head and first bytes.
    conn.socket.cork();
    this.corked = true;
    conn.socket.write(head, 'latin1');
    process.nextTick(uncorkLater, this);
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.conn?.socket.uncork();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    const conn = this.conn;
    if (conn === undefined) return true;
    const socket = conn.socket;
    let ok = true;
    if (data.length > 0) {
      if (this.chunked) {
        socket.write(encodeChunkHeader(data.length), 'latin1');
        socket.write(data);
        ok = socket.write(CRLF, 'latin1');
      } else {
        ok = writeBytes(socket, data);
      }
    }
    if (endStream) {
      if (this.chunked) ok = socket.write(encodeLastChunk(undefined), 'latin1');
      this.requestSent = true;
      this.uncork();
      if (this.tunnel) socket.end(); // the client half-closed the tunnel
    }
    return ok;
  }

  encodeTrailers(trailers: HeaderMap): void {
    const conn = this.conn;
    if (conn === undefined) return;
    if (this.chunked) conn.socket.write(encodeLastChunk(trailers), 'latin1');
    this.requestSent = true;
    this.uncork();
  }

  readDisable(disable: boolean): void {
    const conn = this.conn;
    if (conn === undefined || disable === this.paused) return;
    this.paused = disable;
    if (disable) conn.socket.pause();
    else conn.socket.resume();
  }

  reset(): void {
    this.release(false);
  }

  // ---- response (from the codec) ----

  onUpstreamHead(head: ResponseHead): void {
    if (head.upgrade) {
      if (!this.tunnel) {
        // 101 to a request that asked for no upgrade.
        this.onUpstreamError(undefined);
        return;
      }
      (this.codec as UpstreamHttp1Codec).startRaw();
      this.cb.onUpstreamHeaders(head.status, head.headers, false);
      return;
    }
    if (head.status < 200) return; // 100 Continue and other interim responses are absorbed (Envoy's default).
    this.keepAlive = head.keepAlive;
    const status = head.status;
    if (head.contentLength === 0 || this.isHead || status === 204 || status === 304) {
      // Delivered once the parser completes the message, after the connection is back in the pool.
      this.noBodyHead = head;
      return;
    }
    this.cb.onUpstreamHeaders(status, head.headers, false);
  }

  onUpstreamBody(chunk: Buffer): void {
    if (this.conn !== undefined) this.cb.onUpstreamData(chunk, false);
  }

  onUpstreamTrailers(trailers: HeaderMap): void {
    if (this.conn === undefined) return;
    const reusable = this.keepAlive && this.requestSent;
    this.release(reusable);
    this.cb.onUpstreamTrailers(trailers);
  }

  onUpstreamComplete(): void {
    if (this.conn === undefined) return;
    this.release(this.keepAlive && this.requestSent);
    const head = this.noBodyHead;
    if (head !== undefined) {
      this.noBodyHead = undefined;
      this.cb.onUpstreamHeaders(head.status, head.headers, true);
    } else {
      this.cb.onUpstreamData(EMPTY, true);
    }
  }

  onUpstreamTunnelEnd(): void {
    if (this.conn === undefined) return;
    this.release(false);
    this.cb.onUpstreamData(EMPTY, true);
  }

  onUpstreamError(_err: Http1ParseError | undefined): void {
    if (this.conn === undefined) return;
    this.release(false);
    this.cb.onUpstreamReset('protocol_error', '');
  }

  onUpstreamClose(): void {
    const conn = this.conn;
    if (conn === undefined) return;
    // Attached before any close (encodeHeaders), so `received` is this request's.
    this.staleConnection = conn.requests > 1 && !this.tunnel && this.codec?.received === false;
    this.release(false, true);
    this.cb.onUpstreamReset('connection_termination', '');
  }

  onUpstreamDrain(): void {
    if (this.conn !== undefined) this.cb.onUpstreamWritable();
  }

  private release(reusable: boolean, remoteClosed = false): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.conn = undefined;
    if (this.tunnel) reusable = false; // Envoy never reuses a connection that carried an upgrade request
    this.codec?.detach();
    if (this.corked) {
      this.corked = false;
      conn.socket.uncork();
    }
    if (this.paused) conn.socket.resume();
    this.pool.release(conn, reusable, remoteClosed);
  }
}

function uncorkLater(s: Http1UpstreamStream): void {
  s.uncork();
}
