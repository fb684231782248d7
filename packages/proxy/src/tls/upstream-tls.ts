import { isIP, type Socket } from 'node:net';
import type * as tls from 'node:tls';
import { tls as loadTls } from '../server/lazy-builtins.js';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { UpstreamTlsContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.js';
import type { Scope } from '../interfaces/stats.js';
import type { UpstreamTransport } from '../interfaces/transport-socket.js';
import { connectFailureReason } from '../upstream/pool-error.js';
import { rejectIfSet } from '../upstream/config-util.js';
import { NO_SECRETS, type SecretStore } from './secret-store.js';
import { SslStats } from './ssl-stats.js';
import { TlsContextConfig } from './tls-context.js';

/** BoringSSL's packed error code for CERTIFICATE_VERIFY_FAILED, as Envoy prints it in transport failure reasons. */
const VERIFY_FAILED_REASON = 'TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end';

function noIdentityCheck(): undefined {
  return undefined;
}

/** A compiled UpstreamTlsContext; `bind` gives a cluster its transport with the cluster's ssl stats. */
export class UpstreamTls {
  readonly context: TlsContextConfig;
  readonly sni: string;
  /** max_session_keys: Envoy's default keeps 1 session for resumption; 0 disables resumption. */
  readonly resumeSessions: boolean;

  constructor(cfg: UpstreamTlsContext__Output, path: string, secrets: SecretStore = NO_SECRETS) {
    if (cfg.allow_renegotiation) throw new ConfigError(joinPath(path, 'allow_renegotiation'), 'renegotiation is not supported');
    const maxKeys = cfg.max_session_keys ? cfg.max_session_keys.value : 1;
    if (maxKeys > 1) throw new ConfigError(joinPath(path, 'max_session_keys'), 'only 0 or 1 session keys are supported yet');
    this.resumeSessions = maxKeys === 1;
    rejectIfSet(path, 'enforce_rsa_key_usage', cfg.enforce_rsa_key_usage?.value);
    if (cfg.sni.length > 255) throw new ConfigError(joinPath(path, 'sni'), 'must be at most 255 characters');
    this.sni = cfg.sni;
    this.context = new TlsContextConfig(cfg.common_tls_context, path, 'client', {}, secrets);
  }

  bind(clusterScope: Scope): UpstreamTransport {
    return new UpstreamTlsTransport(this, new SslStats(clusterScope));
  }
}

interface StoredSession {
  readonly session: Buffer;
  readonly materialVersion: number;
}

class UpstreamTlsTransport implements UpstreamTransport {
  /** The last session per host (`address:port`), resumed by the next connection to it. */
  private readonly sessions = new Map<string, StoredSession>();
  private readonly keyOf = new WeakMap<Socket, string>();

  constructor(
    private readonly cfg: UpstreamTls,
    private readonly stats: SslStats,
  ) {}

  connect(address: string, port: number, halfOpen: boolean, onread: UpstreamTransportOnRead | undefined): Socket {
    const ctx = this.cfg.context;
    const opts: tls.ConnectionOptions & { allowHalfOpen: boolean; onread?: UpstreamTransportOnRead } = {
      host: address,
      port,
      secureContext: ctx.current(),
      // Verification is ours (verify() after the handshake): Envoy checks the chain and the configured SANs only,
      // never the host name.
      rejectUnauthorized: false,
      checkServerIdentity: noIdentityCheck,
      allowHalfOpen: halfOpen,
    };
    // RFC 6066: no IP literals in SNI; Envoy sends none unless configured.
    if (this.cfg.sni !== '' && isIP(this.cfg.sni) === 0) opts.servername = this.cfg.sni;
    if (ctx.alpn.length > 0) opts.ALPNProtocols = [...ctx.alpn];
    if (onread) opts.onread = onread;
    if (!this.cfg.resumeSessions) return loadTls().connect(opts);
    const key = `${address}:${port}`;
    const stored = this.sessions.get(key);
    if (stored !== undefined) {
      if (stored.materialVersion === ctx.materialVersion) opts.session = stored.session;
      else this.sessions.delete(key);
    }
    const socket = loadTls().connect(opts);
    this.keyOf.set(socket, key);
    const version = ctx.materialVersion;
    socket.on('session', (session: Buffer) => {
      // Kept only from connections that passed verification (TLS 1.2 may deliver it before verify()).
      if (!socket.destroyed) this.sessions.set(key, { session, materialVersion: version });
    });
    return socket;
  }

  verify(socket: Socket): string | undefined {
    const s = socket as tls.TLSSocket;
    const validator = this.cfg.context.validator;
    // A resumed session was verified when it was established (with the same trust material).
    if (validator?.checksPeer && !s.isSessionReused()) {
      const failure = this.verifyPeer(s);
      if (failure !== undefined) {
        const key = this.keyOf.get(s);
        if (key !== undefined) this.sessions.delete(key);
        return failure;
      }
    }
    this.stats.handshakeDone(s, s.getProtocol() ?? '', s.getCipher()?.name ?? '');
    return undefined;
  }

  private verifyPeer(s: tls.TLSSocket): string | undefined {
    const validator = this.cfg.context.validator;
    const peer = s.getPeerX509Certificate();
    if (validator) {
      if (!peer) {
        this.stats.verifyFailed('fail_verify_no_cert');
        return VERIFY_FAILED_REASON;
      }
      const failure = validator.verify(peer, s.authorizationError);
      if (failure) {
        this.stats.verifyFailed(failure);
        return VERIFY_FAILED_REASON;
      }
    }
    return undefined;
  }

  failureReason(err: Error): string {
    const e = err as NodeJS.ErrnoException & { library?: string; reason?: string };
    if (e.library === 'SSL routines' || (e.code ?? '').startsWith('ERR_SSL_')) {
      this.stats.connectionError.inc();
      const reason = (e.reason ?? e.code?.replace(/^ERR_SSL_/, '') ?? 'unknown').toUpperCase().replace(/ /g, '_');
      return `TLS_error:|SSL routines:OPENSSL_internal:${reason}:TLS_error_end`;
    }
    return connectFailureReason(err);
  }
}

type UpstreamTransportOnRead = { buffer: () => Buffer; callback: (n: number, buf: Uint8Array) => boolean };
