import type { TLSSocket } from 'node:tls';
import type { Counter, Scope } from '../interfaces/stats.js';
import type { VerifyFailure } from './peer-validator.js';

/** Envoy's `<listener|cluster>.ssl.*` stats. */
export class SslStats {
  readonly connectionError: Counter;
  readonly handshake: Counter;
  readonly sessionReused: Counter;
  readonly noCertificate: Counter;
  private readonly failures: Record<VerifyFailure, Counter>;
  private readonly scope: Scope;

  constructor(parent: Scope) {
    const s = (this.scope = parent.scope('ssl'));
    this.connectionError = s.counter('connection_error');
    this.handshake = s.counter('handshake');
    this.sessionReused = s.counter('session_reused');
    this.noCertificate = s.counter('no_certificate');
    this.failures = {
      fail_verify_no_cert: s.counter('fail_verify_no_cert'),
      fail_verify_error: s.counter('fail_verify_error'),
      fail_verify_san: s.counter('fail_verify_san'),
      fail_verify_cert_hash: s.counter('fail_verify_cert_hash'),
    };
  }

  verifyFailed(f: VerifyFailure): void {
    this.failures[f].inc();
    this.connectionError.inc();
  }

  /** A completed handshake (per connection, not per request: creating the version/cipher counters here is fine). */
  handshakeDone(socket: TLSSocket, version: string, cipher: string): void {
    this.handshake.inc();
    if (socket.isSessionReused()) this.sessionReused.inc();
    if (version) this.scope.counter(`versions.${version}`).inc();
    if (cipher) this.scope.counter(`ciphers.${cipher}`).inc();
  }
}
