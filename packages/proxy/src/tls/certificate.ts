import { X509Certificate } from 'node:crypto';
import type { CertificateSummary } from '../interfaces/transport-socket.js';

export interface SubjectAltName {
  /** 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS' | 'OTHER' */
  readonly type: string;
  readonly value: string;
}

const SAN_TYPES: Record<string, string> = { DNS: 'DNS', URI: 'URI', email: 'EMAIL', 'IP Address': 'IP_ADDRESS' };

/**
 * Parses Node's `subjectAltName` text (`DNS:a, URI:spiffe://x, IP Address:1.2.3.4`). Values holding separators are
 * JSON-quoted by Node (`DNS:"a, b"`).
 */
export function parseSubjectAltNames(text: string | undefined): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const kind = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      next = text.indexOf(', ', j);
    } else {
      next = text.indexOf(', ', colon);
      value = text.slice(colon + 1, next === -1 ? undefined : next);
    }
    out.push({ type: SAN_TYPES[kind] ?? 'OTHER', value });
    if (next === -1) break;
    i = next + 2;
  }
  return out;
}

/** Node prints distinguished names one attribute per line in certificate order; RFC 2253 reverses them. */
function rfc2253(dn: string): string {
  return dn.split('\n').filter((l) => l !== '').reverse().join(',');
}

export function summarize(cert: X509Certificate): CertificateSummary {
  const sans = parseSubjectAltNames(cert.subjectAltName);
  return {
    subject: rfc2253(cert.subject),
    issuer: rfc2253(cert.issuer),
    serial: cert.serialNumber.toLowerCase(),
    sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    uriSans: sans.filter((s) => s.type === 'URI').map((s) => s.value),
    dnsSans: sans.filter((s) => s.type === 'DNS').map((s) => s.value),
    validFrom: cert.validFrom,
    validTo: cert.validTo,
  };
}

/** The first certificate of a PEM chain, or undefined when the bytes are not a certificate. */
export function firstCertificate(pem: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}
