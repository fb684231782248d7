import type { Socket } from 'node:net';

/** A certificate as access logs and `/certs` see it. */
export interface CertificateSummary {
  /** RFC 2253 subject (`CN=a,O=b`). */
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex, no separators (Envoy's %DOWNSTREAM_PEER_SERIAL%). */
  readonly serial: string;
  /** Lower-case hex SHA-256 of the DER (Envoy's %DOWNSTREAM_PEER_FINGERPRINT_256%). */
  readonly sha256: string;
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
}

/** What a TLS connection negotiated; set once after its handshake. */
export interface TlsConnectionInfo {
  /** 'TLSv1.2' | 'TLSv1.3' */
  readonly version: string;
  /** OpenSSL cipher name. */
  readonly cipher: string;
  /** Negotiated ALPN protocol, '' when none. */
  readonly alpn: string;
  /** SNI sent by the client, '' when none. */
  readonly sni: string;
  readonly sessionReused: boolean;
  readonly peerCertificate: CertificateSummary | undefined;
  readonly localCertificate: CertificateSummary | undefined;
}

/** How a connection pool opens connections with a transport socket (TLS) instead of plain TCP. */
export interface UpstreamTransport {
  /** Opens the socket; the pool waits for its 'secureConnect'. `onread` is Node's user-read option. */
  connect(address: string, port: number, halfOpen: boolean, onread: { buffer: () => Buffer; callback: (n: number, buf: Uint8Array) => boolean } | undefined): Socket;
  /** After the handshake: undefined when the peer is acceptable, else Envoy's transport failure reason. */
  verify(socket: Socket): string | undefined;
  /** Envoy's transport failure reason for an error before the handshake completed. */
  failureReason(err: Error): string;
}
