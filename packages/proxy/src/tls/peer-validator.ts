import { createHash, type X509Certificate } from 'node:crypto';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { CertificateValidationContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import { rejectIfSet } from '../upstream/config-util.js';
import { compileStringMatcher, type StringMatcher } from '../router/string-matcher.js';
import { parseSubjectAltNames, type SubjectAltName } from './certificate.js';
import { parseDataSource, type DataSourceSpec } from './data-source.js';

/** The ssl stat a failed verification counts (Envoy's names). */
export type VerifyFailure = 'fail_verify_no_cert' | 'fail_verify_error' | 'fail_verify_san' | 'fail_verify_cert_hash';

interface SanMatcher {
  /** '' = any type (legacy match_subject_alt_names). */
  readonly type: string;
  readonly matcher: StringMatcher;
}

/** A compiled CertificateValidationContext: chain trust, SAN matchers, certificate / SPKI pins. */
export class PeerValidator {
  readonly trustedCa: DataSourceSpec | undefined;
  /** false with trust_chain_verification ACCEPT_UNTRUSTED. */
  readonly verifyChain: boolean;
  private readonly sans: SanMatcher[] = [];
  private readonly certHashes: string[];
  private readonly spkiHashes: string[];

  constructor(v: CertificateValidationContext__Output, path: string) {
    for (const f of ['crl', 'require_signed_certificate_timestamp', 'allow_expired_certificate', 'watched_directory', 'custom_validator_config', 'ca_certificate_provider_instance', 'only_verify_leaf_cert_crl', 'max_verify_depth', 'system_root_certs'] as const) {
      rejectIfSet(path, f, v[f]);
    }
    this.trustedCa = parseDataSource(v.trusted_ca, joinPath(path, 'trusted_ca'));
    this.verifyChain = this.trustedCa !== undefined && v.trust_chain_verification !== 'ACCEPT_UNTRUSTED';
    v.match_typed_subject_alt_names.forEach((m, i) => {
      const p = joinPath(joinPath(path, 'match_typed_subject_alt_names'), i);
      if (m.san_type === 'SAN_TYPE_UNSPECIFIED' || m.san_type === 'OTHER_NAME') {
        throw new ConfigError(joinPath(p, 'san_type'), `${m.san_type} is not supported`);
      }
      if (!m.matcher) throw new ConfigError(joinPath(p, 'matcher'), 'is required');
      this.sans.push({ type: String(m.san_type), matcher: compileStringMatcher(m.matcher, joinPath(p, 'matcher')) });
    });
    v.match_subject_alt_names.forEach((m, i) => {
      this.sans.push({ type: '', matcher: compileStringMatcher(m, joinPath(joinPath(path, 'match_subject_alt_names'), i)) });
    });
    this.certHashes = v.verify_certificate_hash.map((h, i) => {
      const hex = h.replace(/:/g, '').toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new ConfigError(joinPath(joinPath(path, 'verify_certificate_hash'), i), 'must be a hex-encoded SHA-256 hash');
      return hex;
    });
    this.spkiHashes = v.verify_certificate_spki.map((h, i) => {
      if (Buffer.from(h, 'base64').length !== 32) throw new ConfigError(joinPath(joinPath(path, 'verify_certificate_spki'), i), 'must be a base64-encoded SHA-256 hash');
      return h;
    });
  }

  /** Whether anything is checked (the server then requests a client certificate). */
  get checksPeer(): boolean {
    return this.trustedCa !== undefined || this.sans.length > 0 || this.certHashes.length > 0 || this.spkiHashes.length > 0;
  }

  /** Checks a presented certificate; `chainError` is Node's authorizationError (null when the chain is trusted). */
  verify(cert: X509Certificate, chainError: Error | string | null | undefined): VerifyFailure | undefined {
    if (this.verifyChain && chainError) return 'fail_verify_error';
    if (this.sans.length > 0 && !this.matchSans(parseSubjectAltNames(cert.subjectAltName))) return 'fail_verify_san';
    if (this.certHashes.length > 0 || this.spkiHashes.length > 0) {
      const certOk = this.certHashes.length > 0 && this.certHashes.includes(createHash('sha256').update(cert.raw).digest('hex'));
      const spkiOk =
        this.spkiHashes.length > 0 &&
        this.spkiHashes.includes(createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
      if (!certOk && !spkiOk) return 'fail_verify_cert_hash';
    }
    return undefined;
  }

  private matchSans(sans: SubjectAltName[]): boolean {
    for (const m of this.sans) {
      for (const san of sans) {
        if (m.type !== '' && m.type !== san.type) continue;
        if (m.matcher.match(san.value)) return true;
        // Envoy: an exact DNS matcher also accepts a wildcard SAN covering it (`*.example.com` matches `a.example.com`).
        if (san.type === 'DNS' && san.value.startsWith('*.') && dnsWildcardMatch(m.matcher, san.value)) return true;
      }
    }
    return false;
  }
}

function dnsWildcardMatch(m: StringMatcher, wildcard: string): boolean {
  if (!m.isExact) return false;
  const name = m.value.toLowerCase();
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot) === wildcard.slice(1).toLowerCase();
}
