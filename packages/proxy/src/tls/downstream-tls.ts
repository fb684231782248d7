import type { Socket } from 'node:net';
import type * as tls from 'node:tls';
import { tls as loadTls } from '../server/lazy-builtins.js';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { DownstreamTlsContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import type { TlsConnectionInfo } from '../interfaces/transport-socket.js';
import { rejectIfSet } from '../upstream/config-util.js';
import { summarize } from './certificate.js';
import { NO_SECRETS, type SecretStore } from './secret-store.js';
import type { SslStats } from './ssl-stats.js';
import { TlsContextConfig } from './tls-context.js';

export type HandshakeCallback = (socket: tls.TLSSocket | undefined, info: TlsConnectionInfo | undefined) => void;

/** A compiled DownstreamTlsContext: terminates TLS on accepted connections of one filter chain. */
export class DownstreamTls {
  readonly context: TlsContextConfig;
  private readonly requireClientCert: boolean;
  private readonly requireSni: boolean;

  constructor(cfg: DownstreamTlsContext__Output, path: string, secrets: SecretStore = NO_SECRETS) {
    rejectIfSet(path, 'session_ticket_keys', cfg.session_ticket_keys);
    rejectIfSet(path, 'session_ticket_keys_sds_secret_config', cfg.session_ticket_keys_sds_secret_config);
    rejectIfSet(path, 'full_scan_certs_on_sni_mismatch', cfg.full_scan_certs_on_sni_mismatch?.value);
    if (cfg.ocsp_staple_policy !== 'LENIENT_STAPLING') rejectIfSet(path, 'ocsp_staple_policy', cfg.ocsp_staple_policy);
    // disable_stateful_session_resumption: accepted as is; sessions resume by ticket only (a standalone TLS socket
    // has no server-side session-id cache).
    let sessionTimeoutSec: number | undefined;
    if (cfg.session_timeout) {
      sessionTimeoutSec = Number(cfg.session_timeout.seconds);
      if (sessionTimeoutSec < 0 || sessionTimeoutSec > 0xffffffff) throw new ConfigError(joinPath(path, 'session_timeout'), 'out of range');
    }
    this.context = new TlsContextConfig(cfg.common_tls_context, path, 'server', {
      sessionTimeoutSec,
      noTickets: cfg.disable_stateless_session_resumption === true,
    }, secrets);
    this.requireClientCert = cfg.require_client_certificate?.value === true;
    this.requireSni = cfg.require_sni?.value === true;
    if (this.requireClientCert && !this.context.validator?.checksPeer) {
      throw new ConfigError(joinPath(path, 'require_client_certificate'), 'needs common_tls_context.validation_context');
    }
  }

  /**
   * Runs the server handshake on an accepted socket (bytes already read by listener filters were put back). Calls
   * `done` once: with the TLS socket after a successful, verified handshake, or with undefined after closing it.
   */
  handshake(raw: Socket, stats: SslStats, done: HandshakeCallback): void {
    const validator = this.context.validator;
    const socket = new (loadTls().TLSSocket)(raw, {
      isServer: true,
      secureContext: this.context.current(),
      requestCert: validator?.checksPeer === true,
      // Verification is ours (after the handshake) so each failure counts its own Envoy stat.
      rejectUnauthorized: false,
      ALPNProtocols: this.context.alpn.length > 0 ? [...this.context.alpn] : undefined,
    } as tls.TLSSocketOptions);
    let settled = false;
    const fail = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      raw.destroy();
      done(undefined, undefined);
    };
    socket.on('error', () => {
      if (!settled) stats.connectionError.inc();
      fail();
    });
    socket.once('close', fail);
    socket.once('secure', () => {
      if (settled) return;
      const peer = socket.getPeerX509Certificate();
      const sni = (socket as tls.TLSSocket & { servername?: string | false }).servername || '';
      if (this.requireSni && !sni) {
        stats.connectionError.inc();
        fail();
        return;
      }
      if (!peer) {
        if (this.requireClientCert) {
          stats.verifyFailed('fail_verify_no_cert');
          fail();
          return;
        }
        stats.noCertificate.inc();
      } else if (validator) {
        const failure = validator.verify(peer, socket.authorizationError);
        if (failure) {
          stats.verifyFailed(failure);
          fail();
          return;
        }
      }
      const version = socket.getProtocol() ?? '';
      const cipher = socket.getCipher()?.name ?? '';
      stats.handshakeDone(socket, version, cipher);
      settled = true;
      socket.removeListener('close', fail);
      done(socket, {
        version,
        cipher,
        alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '',
        sni,
        sessionReused: socket.isSessionReused(),
        peerCertificate: peer ? summarize(peer) : undefined,
        localCertificate: this.context.localCertificate,
      });
    });
  }
}
