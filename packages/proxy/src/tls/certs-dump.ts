import type { CertificateSummary } from '../interfaces/transport-socket.js';
import { liveTlsContexts } from './tls-context.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function details(path: string, c: CertificateSummary, now: number): Record<string, unknown> {
  const expires = Date.parse(c.validTo);
  return {
    path,
    serial_number: c.serial,
    subject_alt_names: [...c.dnsSans.map((dns) => ({ dns })), ...c.uriSans.map((uri) => ({ uri }))],
    days_until_expiration: String(Math.max(0, Math.floor((expires - now) / DAY_MS))),
    valid_from: new Date(Date.parse(c.validFrom)).toISOString(),
    expiration_time: new Date(expires).toISOString(),
  };
}

/** Envoy's `/certs` answer: every TLS context's CA and certificate chain (deduplicated across config versions). */
export function certsDump(now = Date.now()): { certificates: Array<Record<string, unknown>> } {
  const seen = new Set<string>();
  const certificates: Array<Record<string, unknown>> = [];
  for (const ctx of liveTlsContexts()) {
    const d = ctx.describe();
    const key = `${d.certPath}|${d.cert?.serial ?? ''}|${d.caPath}|${d.ca?.serial ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    certificates.push({
      ca_cert: d.ca ? [details(d.caPath, d.ca, now)] : [],
      cert_chain: d.cert ? [details(d.certPath, d.cert, now)] : [],
    });
  }
  return { certificates };
}
