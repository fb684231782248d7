import type { HeaderMap } from './header-map.js';
import type { TlsConnectionInfo } from './transport-socket.js';

/**
 * What is known about one downstream request (HTTP) or connection (TCP), filled as it proceeds and read by access
 * logs and stats. A plain mutable class: one per stream, no per-field closures.
 */
export class StreamInfo {
  /** Wall-clock start, ms since epoch. */
  startTimeMs: number;
  /** Monotonic start, ms (performance.now()). */
  startMonotonicMs = 0;
  /** Monotonic times relative to start, ms; -1 when not reached. */
  lastDownstreamRxByteMs = -1;
  firstUpstreamTxByteMs = -1;
  lastUpstreamTxByteMs = -1;
  firstUpstreamRxByteMs = -1;
  lastUpstreamRxByteMs = -1;
  firstDownstreamTxByteMs = -1;
  lastDownstreamTxByteMs = -1;
  /** Total duration in ms, set when the stream ends; -1 while in flight. */
  durationMs = -1;

  /** 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | undefined for TCP. */
  protocol: string | undefined;
  responseCode = 0;
  responseCodeDetails = '';
  connectionTerminationDetails = '';
  /** Bit set of ResponseFlag. */
  responseFlags = 0;
  bytesReceived = 0;
  bytesSent = 0;

  /** IP only (no port): ports are kept in the *Port fields; formatters join them. */
  downstreamRemoteAddress = '';
  downstreamRemotePort = 0;
  downstreamLocalAddress = '';
  downstreamLocalPort = 0;
  /** The local address is the original destination of a redirected connection (original_dst / use_original_dst). */
  downstreamLocalAddressRestored = false;
  /** The peer IP of the TCP connection, even when the remote address was taken from x-forwarded-for. */
  downstreamDirectRemoteAddress = '';
  requestedServerName = '';
  /** The downstream connection's TLS session; undefined for plaintext. */
  downstreamTls: TlsConnectionInfo | undefined = undefined;
  connectionId = 0;

  upstreamCluster = '';
  /** `ip:port` of the chosen upstream host, '' if none. */
  upstreamHost = '';
  upstreamLocalAddress = '';
  upstreamTransportFailureReason = '';
  upstreamRequestAttemptCount = 0;

  routeName = '';
  virtualClusterName = '';
  requestId = '';

  requestHeaders: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;

  /** `startTimeMs`: now unless given (a caller holding a cached clock saves a clock read per stream). */
  constructor(startTimeMs: number = Date.now()) {
    this.startTimeMs = startTimeMs;
  }

  /** A request's copy of its downstream connection's fields (addresses, TLS, SNI), from the connection's info. */
  copyDownstream(conn: StreamInfo, connectionId: number): void {
    this.connectionId = connectionId;
    this.downstreamRemoteAddress = conn.downstreamRemoteAddress;
    this.downstreamRemotePort = conn.downstreamRemotePort;
    this.downstreamDirectRemoteAddress = conn.downstreamDirectRemoteAddress;
    this.downstreamLocalAddress = conn.downstreamLocalAddress;
    this.downstreamLocalPort = conn.downstreamLocalPort;
    this.downstreamLocalAddressRestored = conn.downstreamLocalAddressRestored;
    this.requestedServerName = conn.requestedServerName;
    this.downstreamTls = conn.downstreamTls;
  }

  setResponseFlag(flag: number): void {
    this.responseFlags |= flag;
  }

  hasResponseFlag(flag: number): boolean {
    return (this.responseFlags & flag) !== 0;
  }
}
