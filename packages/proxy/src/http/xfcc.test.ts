import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../interfaces/header-map.js';
import type { CertificateSummary, TlsConnectionInfo } from '../interfaces/transport-socket.js';
import { mutateXfcc, type XfccConfig } from './xfcc.js';

const cert = (over: Partial<CertificateSummary>): CertificateSummary => ({
  subject: 'CN=c',
  issuer: 'CN=ca',
  serial: '01',
  sha256: 'ab'.repeat(32),
  uriSans: [],
  dnsSans: [],
  validFrom: '',
  validTo: '',
  ...over,
});
const mtls: TlsConnectionInfo = {
  version: 'TLSv1.3',
  cipher: 'TLS_AES_128_GCM_SHA256',
  alpn: '',
  sni: '',
  sessionReused: false,
  peerCertificate: cert({ uriSans: ['spiffe://td/ns/a/sa/client'], dnsSans: ['c.example', 'd.example'] }),
  localCertificate: cert({ uriSans: ['spiffe://td/ns/b/sa/server'] }),
};
const tlsOnly: TlsConnectionInfo = { ...mtls, peerCertificate: undefined };

function run(x: Partial<XfccConfig>, tls: TlsConnectionInfo | undefined, incoming?: string): string | undefined {
  const h = new HeaderMap();
  if (incoming !== undefined) h.add('x-forwarded-client-cert', incoming);
  mutateXfcc(h, { mode: 'SANITIZE', subject: false, uri: false, dns: false, ...x }, tls);
  return h.get('x-forwarded-client-cert');
}

describe('x-forwarded-client-cert', () => {
  const hash = `Hash=${'ab'.repeat(32)}`;
  it('SANITIZE removes it, even on mTLS', () => {
    assert.equal(run({}, mtls, 'Hash=x'), undefined);
  });
  it('modes other than ALWAYS_FORWARD_ONLY remove it when the client presented no certificate', () => {
    for (const mode of ['FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'] as const) {
      assert.equal(run({ mode }, tlsOnly, 'Hash=x'), undefined, mode);
      assert.equal(run({ mode }, undefined, 'Hash=x'), undefined, mode);
    }
    assert.equal(run({ mode: 'ALWAYS_FORWARD_ONLY' }, undefined, 'Hash=x'), 'Hash=x');
  });
  it('FORWARD_ONLY keeps the incoming value on mTLS', () => {
    assert.equal(run({ mode: 'FORWARD_ONLY' }, mtls, 'Hash=x'), 'Hash=x');
  });
  it('APPEND_FORWARD appends this hop: By, Hash, Subject, URI, DNS', () => {
    assert.equal(
      run({ mode: 'APPEND_FORWARD', subject: true, uri: true, dns: true }, mtls, 'Hash=x'),
      `Hash=x,By=spiffe://td/ns/b/sa/server;${hash};Subject="CN=c";URI=spiffe://td/ns/a/sa/client;DNS=c.example;DNS=d.example`,
    );
    assert.equal(run({ mode: 'APPEND_FORWARD' }, mtls), `By=spiffe://td/ns/b/sa/server;${hash}`);
  });
  it('SANITIZE_SET replaces the incoming value', () => {
    assert.equal(run({ mode: 'SANITIZE_SET', uri: true }, mtls, 'Hash=x'), `By=spiffe://td/ns/b/sa/server;${hash};URI=spiffe://td/ns/a/sa/client`);
  });
});
