import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateValidationContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import { parseSubjectAltNames } from './certificate.js';
import { PeerValidator } from './peer-validator.js';

function ctx(over: Partial<CertificateValidationContext__Output>): CertificateValidationContext__Output {
  return {
    trusted_ca: null,
    verify_certificate_hash: [],
    verify_certificate_spki: [],
    require_signed_certificate_timestamp: null,
    crl: null,
    allow_expired_certificate: false,
    match_subject_alt_names: [],
    trust_chain_verification: 'VERIFY_TRUST_CHAIN',
    watched_directory: null,
    custom_validator_config: null,
    ca_certificate_provider_instance: null,
    only_verify_leaf_cert_crl: false,
    match_typed_subject_alt_names: [],
    max_verify_depth: null,
    system_root_certs: null,
    ...over,
  } as CertificateValidationContext__Output;
}

const exact = (v: string): never => ({ exact: v, match_pattern: 'exact', ignore_case: false }) as never;
const prefix = (v: string): never => ({ prefix: v, match_pattern: 'prefix', ignore_case: false }) as never;

describe('subjectAltName parsing', () => {
  it('reads every SAN type, including quoted values', () => {
    assert.deepEqual(parseSubjectAltNames('DNS:a.example, URI:spiffe://td/ns/x/sa/y, IP Address:127.0.0.1, email:me@example.com, DNS:"b, c"'), [
      { type: 'DNS', value: 'a.example' },
      { type: 'URI', value: 'spiffe://td/ns/x/sa/y' },
      { type: 'IP_ADDRESS', value: '127.0.0.1' },
      { type: 'EMAIL', value: 'me@example.com' },
      { type: 'DNS', value: 'b, c' },
    ]);
    assert.deepEqual(parseSubjectAltNames(undefined), []);
  });
});

describe('PeerValidator', () => {
  let dir: string;
  let cert: X509Certificate;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-pv-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=peer', '-addext', 'subjectAltName=DNS:*.svc.example,URI:spiffe://td/ns/a/sa/b,IP:10.1.2.3,email:ops@example.com'], { cwd: dir, stdio: 'pipe' });
    cert = new X509Certificate(readFileSync(path.join(dir, 'c.pem')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const verify = (over: Partial<CertificateValidationContext__Output>, chainError: string | null = null): string | undefined => new PeerValidator(ctx(over), 'v').verify(cert, chainError);

  it('typed SAN matchers check only their own type', () => {
    assert.equal(verify({ match_typed_subject_alt_names: [{ san_type: 'URI', matcher: prefix('spiffe://td/'), oid: '' }] }), undefined);
    assert.equal(verify({ match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: prefix('spiffe://td/'), oid: '' }] }), 'fail_verify_san');
    assert.equal(verify({ match_typed_subject_alt_names: [{ san_type: 'IP_ADDRESS', matcher: exact('10.1.2.3'), oid: '' }] }), undefined);
    assert.equal(verify({ match_typed_subject_alt_names: [{ san_type: 'EMAIL', matcher: exact('ops@example.com'), oid: '' }] }), undefined);
  });

  it('an exact DNS matcher accepts a wildcard SAN that covers it, one label deep', () => {
    const dns = (v: string): Partial<CertificateValidationContext__Output> => ({ match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: exact(v), oid: '' }] });
    assert.equal(verify(dns('api.svc.example')), undefined);
    assert.equal(verify(dns('a.b.svc.example')), 'fail_verify_san');
  });

  it('the legacy match_subject_alt_names matches any type', () => {
    assert.equal(verify({ match_subject_alt_names: [exact('10.1.2.3')] }), undefined);
    assert.equal(verify({ match_subject_alt_names: [exact('nope')] }), 'fail_verify_san');
  });

  it('certificate and SPKI pins: either list may match', () => {
    const hash = createHash('sha256').update(cert.raw).digest('hex');
    const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    assert.equal(verify({ verify_certificate_hash: [hash.toUpperCase().match(/../g)?.join(':') ?? ''] }), undefined);
    assert.equal(verify({ verify_certificate_spki: [spki] }), undefined);
    assert.equal(verify({ verify_certificate_hash: ['0'.repeat(64)], verify_certificate_spki: [spki] }), undefined);
    assert.equal(verify({ verify_certificate_hash: ['0'.repeat(64)] }), 'fail_verify_cert_hash');
  });

  it('chain errors count only when a trusted CA is configured and the chain is verified', () => {
    const ca = { trusted_ca: { filename: '/ca.pem', specifier: 'filename', watched_directory: null } } as Partial<CertificateValidationContext__Output>;
    assert.equal(verify(ca, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'fail_verify_error');
    assert.equal(verify({ ...ca, trust_chain_verification: 'ACCEPT_UNTRUSTED' }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), undefined);
    assert.equal(verify({}, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), undefined);
  });
});
