import { constants, createHash, createPrivateKey } from 'node:crypto';
import type * as tls from 'node:tls';
import { tls as loadTls } from '../server/lazy-builtins.js';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { CertificateValidationContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import type { CommonTlsContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/CommonTlsContext.js';
import type { SdsSecretConfig__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/SdsSecretConfig.js';
import type { TlsCertificate__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/TlsCertificate.js';
import type { CertificateSummary } from '../interfaces/transport-socket.js';
import { logger } from '../server/logger.js';
import { rejectIfSet } from '../upstream/config-util.js';
import { firstCertificate, summarize } from './certificate.js';
import { parseDataSource, readDataSource, type DataSourceSpec } from './data-source.js';
import { generationOf, watchDirectoryOf } from './file-watch.js';
import { PeerValidator } from './peer-validator.js';
import { mergeValidationContexts, NO_SECRETS, type Resolved, type SecretStore } from './secret-store.js';

export type TlsRole = 'server' | 'client';

const VERSIONS: Record<string, tls.SecureVersion | undefined> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};
const VERSION_ORDER = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface SessionOptions {
  /** session_timeout in seconds (server). */
  readonly sessionTimeoutSec?: number | undefined;
  /** disable_stateless_session_resumption (server): no session tickets. */
  readonly noTickets?: boolean | undefined;
}

interface Loaded {
  readonly bytes: readonly Buffer[];
  readonly context: tls.SecureContext;
  readonly local: CertificateSummary | undefined;
  readonly ca: CertificateSummary | undefined;
  readonly loadedAt: number;
}

const live = new Set<WeakRef<TlsContextConfig>>();

/**
 * A compiled CommonTlsContext with its secure context. Files are watched: the first handshake after a change in
 * their directories re-reads them, and new content that loads replaces the context (existing connections keep
 * theirs); content that does not load is logged and the last good context stays.
 */
export class TlsContextConfig {
  readonly validator: PeerValidator | undefined;
  readonly alpn: readonly string[];
  private readonly specs: DataSourceSpec[] = [];
  private readonly cert: DataSourceSpec | undefined;
  private readonly key: DataSourceSpec | undefined;
  private readonly password: DataSourceSpec | undefined;
  private readonly options: tls.SecureContextOptions;
  private readonly role: TlsRole;
  /** What, besides the files, makes a server's sessions incompatible (validation settings). */
  private readonly sessionSalt: string;
  /** tls_certificates[0] (or the context), for errors the TLS library reports about the pair as a whole. */
  private readonly fieldPath: string;
  private readonly watches: ReturnType<typeof watchDirectoryOf>[] = [];
  private generation: number;
  private loaded: Loaded;
  /** Bumped whenever new material is loaded: TLS sessions from older material must not be resumed. */
  materialVersion = 0;

  constructor(common: CommonTlsContext__Output | null, path: string, role: TlsRole, session: SessionOptions = {}, secrets: SecretStore = NO_SECRETS) {
    const cp = joinPath(path, 'common_tls_context');
    const c = common;
    if (c) {
      for (const f of ['tls_certificate_certificate_provider', 'validation_context_certificate_provider', 'tls_certificate_certificate_provider_instance', 'validation_context_certificate_provider_instance', 'custom_handshaker', 'tls_certificate_provider_instance', 'key_log'] as const) {
        rejectIfSet(cp, f, c[f]);
      }
    }
    const certificate = certificateOf(c, cp, secrets);
    this.fieldPath = certificate?.path ?? cp;
    if (certificate) {
      const tc = certificate.value;
      const tp = certificate.path;
      for (const f of ['ocsp_staple', 'signed_certificate_timestamp', 'private_key_provider', 'watched_directory', 'pkcs12'] as const) rejectIfSet(tp, f, tc[f]);
      this.cert = parseDataSource(tc.certificate_chain, joinPath(tp, 'certificate_chain'));
      this.key = parseDataSource(tc.private_key, joinPath(tp, 'private_key'));
      this.password = parseDataSource(tc.password, joinPath(tp, 'password'));
      if (!this.cert) throw new ConfigError(joinPath(tp, 'certificate_chain'), 'is required');
      if (!this.key) throw new ConfigError(joinPath(tp, 'private_key'), 'is required');
    } else if (role === 'server') {
      throw new ConfigError(joinPath(cp, 'tls_certificates'), 'a server context needs a certificate');
    }
    const validation = validationOf(c, cp, secrets);
    const vc = validation?.value;
    this.validator = validation ? new PeerValidator(validation.value, validation.path) : undefined;
    this.alpn = c?.alpn_protocols ?? [];
    this.role = role;
    this.sessionSalt = JSON.stringify(vc ?? null);
    this.options = tlsOptions(c, cp, role, session);
    for (const s of [this.cert, this.key, this.password, this.validator?.trustedCa]) if (s) this.specs.push(s);
    for (const s of this.specs) if (s.filename !== undefined) this.watches.push(watchDirectoryOf(s.filename));
    this.generation = generationOf(this.watches);
    this.loaded = this.load(this.specs.map(readDataSource));
    live.add(new WeakRef(this));
  }

  /** The context for a new handshake (reloaded first if its files changed). */
  current(): tls.SecureContext {
    if (this.watches.length > 0) {
      const g = generationOf(this.watches);
      if (g !== this.generation) {
        this.generation = g;
        this.reload();
      }
    }
    return this.loaded.context;
  }

  /** For `/certs`: the files (or '<inline>') and what they hold now. */
  describe(): { certPath: string; caPath: string; cert: CertificateSummary | undefined; ca: CertificateSummary | undefined } {
    this.current(); // pick up a pending file change first
    const where = (s: DataSourceSpec | undefined): string => (s === undefined ? '' : (s.filename ?? '<inline>'));
    return { certPath: where(this.cert), caPath: where(this.validator?.trustedCa), cert: this.loaded.local, ca: this.loaded.ca };
  }

  get localCertificate(): CertificateSummary | undefined {
    return this.loaded.local;
  }

  private reload(): void {
    try {
      const bytes = this.specs.map(readDataSource);
      if (bytes.every((b, i) => b.equals(this.loaded.bytes[i] as Buffer))) return;
      this.loaded = this.load(bytes);
      this.materialVersion++;
      logger().info({ certificate: this.cert?.filename, ca: this.validator?.trustedCa?.filename }, 'TLS certificates reloaded');
    } catch (err) {
      logger().error({ err, certificate: this.cert?.filename }, 'TLS certificate reload failed; keeping the previous certificates');
    }
  }

  /** Builds a secure context from the current bytes (in `specs` order); throws ConfigError naming the bad field. */
  private load(bytes: Buffer[]): Loaded {
    const byspec = new Map<DataSourceSpec, Buffer>();
    this.specs.forEach((s, i) => byspec.set(s, bytes[i] as Buffer));
    const opts: tls.SecureContextOptions = { ...this.options };
    let local: CertificateSummary | undefined;
    let ca: CertificateSummary | undefined;
    if (this.cert && this.key) {
      const certPem = byspec.get(this.cert) as Buffer;
      const x = firstCertificate(certPem);
      if (!x) throw new ConfigError(this.cert.path, 'does not hold a PEM certificate');
      local = summarize(x);
      const keyPem = byspec.get(this.key) as Buffer;
      const passphrase = this.password ? (byspec.get(this.password) as Buffer).toString('utf8') : undefined;
      try {
        createPrivateKey(passphrase === undefined ? { key: keyPem } : { key: keyPem, passphrase });
      } catch (err) {
        throw new ConfigError(this.key.path, `does not hold a usable PEM private key: ${(err as Error).message}`);
      }
      opts.cert = certPem;
      opts.key = keyPem;
      if (passphrase !== undefined) opts.passphrase = passphrase;
    }
    const caSpec = this.validator?.trustedCa;
    if (caSpec) {
      const caPem = byspec.get(caSpec) as Buffer;
      const x = firstCertificate(caPem);
      if (!x) throw new ConfigError(caSpec.path, 'does not hold a PEM certificate');
      ca = summarize(x);
      opts.ca = caPem;
    }
    if (this.role === 'server') {
      // Without a session id context OpenSSL refuses to resume sessions of connections that sent a client
      // certificate. Like Envoy, derive it from the certificates and validation settings.
      const h = createHash('sha256');
      for (const b of bytes) h.update(b);
      opts.sessionIdContext = h.update(this.sessionSalt).digest('hex').slice(0, 32);
    }
    let context: tls.SecureContext;
    try {
      context = loadTls().createSecureContext(opts);
    } catch (err) {
      throw new ConfigError(this.fieldPath, `TLS context rejected: ${(err as Error).message}`);
    }
    return { bytes, context, local, ca, loadedAt: Date.now() };
  }
}

/** tls_certificates[0] or the one static secret named by tls_certificate_sds_secret_configs. */
function certificateOf(c: CommonTlsContext__Output | null, cp: string, secrets: SecretStore): Resolved<TlsCertificate__Output> | undefined {
  const inline = c?.tls_certificates ?? [];
  const refs = c?.tls_certificate_sds_secret_configs ?? [];
  if (inline.length + refs.length > 1) {
    const field = inline.length > 1 || refs.length === 0 ? 'tls_certificates' : 'tls_certificate_sds_secret_configs';
    throw new ConfigError(joinPath(joinPath(cp, field), field === 'tls_certificates' ? inline.length - 1 : refs.length - 1), 'only one certificate per context is supported yet');
  }
  const tc = inline[0];
  if (tc) return { value: tc, path: joinPath(joinPath(cp, 'tls_certificates'), 0) };
  const ref = refs[0];
  return ref ? secrets.tlsCertificate(ref, joinPath(joinPath(cp, 'tls_certificate_sds_secret_configs'), 0)) : undefined;
}

/** validation_context, a static secret (validation_context_sds_secret_config), or the two merged (combined). */
function validationOf(c: CommonTlsContext__Output | null, cp: string, secrets: SecretStore): Resolved<CertificateValidationContext__Output> | undefined {
  if (!c) return undefined;
  switch (c.validation_context_type) {
    case 'validation_context':
      return c.validation_context ? { value: c.validation_context, path: joinPath(cp, 'validation_context') } : undefined;
    case 'validation_context_sds_secret_config':
      return secrets.validationContext(c.validation_context_sds_secret_config as SdsSecretConfig__Output, joinPath(cp, 'validation_context_sds_secret_config'));
    case 'combined_validation_context': {
      const cv = c.combined_validation_context as NonNullable<CommonTlsContext__Output['combined_validation_context']>;
      const p = joinPath(cp, 'combined_validation_context');
      rejectIfSet(p, 'validation_context_certificate_provider', cv.validation_context_certificate_provider);
      rejectIfSet(p, 'validation_context_certificate_provider_instance', cv.validation_context_certificate_provider_instance);
      if (!cv.default_validation_context) throw new ConfigError(joinPath(p, 'default_validation_context'), 'is required');
      if (!cv.validation_context_sds_secret_config) throw new ConfigError(joinPath(p, 'validation_context_sds_secret_config'), 'is required');
      const dynamic = secrets.validationContext(cv.validation_context_sds_secret_config, joinPath(p, 'validation_context_sds_secret_config'));
      return { value: mergeValidationContexts(cv.default_validation_context, dynamic.value), path: p };
    }
    case undefined:
      return undefined;
    default:
      throw new ConfigError(joinPath(cp, c.validation_context_type), 'is not supported yet');
  }
}

function tlsOptions(c: CommonTlsContext__Output | null, cp: string, role: TlsRole, session: SessionOptions): tls.SecureContextOptions {
  const p = c?.tls_params;
  const pp = joinPath(cp, 'tls_params');
  const min = version(p?.tls_minimum_protocol_version, joinPath(pp, 'tls_minimum_protocol_version')) ?? 'TLSv1.2';
  const max = version(p?.tls_maximum_protocol_version, joinPath(pp, 'tls_maximum_protocol_version')) ?? (role === 'server' ? 'TLSv1.3' : 'TLSv1.2');
  if (VERSION_ORDER.indexOf(min) > VERSION_ORDER.indexOf(max)) {
    throw new ConfigError(pp, `tls_minimum_protocol_version ${min} is greater than tls_maximum_protocol_version ${max}`);
  }
  if (p) rejectIfSet(pp, 'signature_algorithms', p.signature_algorithms);
  const opts: tls.SecureContextOptions = { minVersion: min, maxVersion: max };
  if (p && p.cipher_suites.length > 0) {
    // Envoy (BoringSSL) allows equal-preference groups `[A|B]`; OpenSSL takes a flat list.
    opts.ciphers = p.cipher_suites.map((s) => s.replace(/[[\]]/g, '').split('|').join(':')).join(':');
  }
  if (p && p.ecdh_curves.length > 0) opts.ecdhCurve = p.ecdh_curves.join(':');
  if (session.sessionTimeoutSec !== undefined) opts.sessionTimeout = session.sessionTimeoutSec;
  if (session.noTickets) opts.secureOptions = constants.SSL_OP_NO_TICKET;
  // Validate ciphers / curves now so the error names the field, not the certificate.
  try {
    loadTls().createSecureContext(opts);
  } catch (err) {
    const msg = (err as Error).message;
    throw new ConfigError(joinPath(pp, opts.ecdhCurve && /curve/i.test(msg) ? 'ecdh_curves' : 'cipher_suites'), `rejected by the TLS library: ${msg}`);
  }
  return opts;
}

function version(v: string | number | undefined, path: string): tls.SecureVersion | undefined {
  if (v === undefined || v === 'TLS_AUTO' || v === 0) return undefined;
  const out = VERSIONS[String(v)];
  if (!out) throw new ConfigError(path, `unknown TLS version ${String(v)}`);
  return out;
}

/** Every live TLS context (for `/certs`). */
export function liveTlsContexts(): TlsContextConfig[] {
  const out: TlsContextConfig[] = [];
  for (const ref of live) {
    const c = ref.deref();
    if (c === undefined) live.delete(ref);
    else out.push(c);
  }
  return out;
}
