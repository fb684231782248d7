import type { TrafficPolicy } from './destination-rules.js';
import { ANY } from './names.js';

type Json = Record<string, unknown>;
type ClientTls = NonNullable<TrafficPolicy['tls']>;

const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/**
 * DestinationRule `tls` (SIMPLE / MUTUAL with files on the proxy's host) as the cluster's TLS transport socket.
 * Without `sni` the destination host name is sent (Istio derives it per request from the Host header, which needs
 * auto_sni: not in the Weft proxy yet). `insecureSkipVerify` drops the validation context altogether.
 */
export function upstreamTlsSocket(tls: ClientTls | undefined, hostname: string, h2: boolean): Json | undefined {
  if (!tls || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) return undefined;
  const common: Json = {};
  if (tls.mode === 'MUTUAL') {
    common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate ?? '' }, private_key: { filename: tls.privateKey ?? '' } }];
  }
  if (!tls.insecureSkipVerify) {
    const vc: Json = { trusted_ca: { filename: tls.caCertificates ?? '' } };
    if (tls.subjectAltNames?.length) vc.match_subject_alt_names = tls.subjectAltNames.map((exact) => ({ exact }));
    common.validation_context = vc;
  }
  if (h2) common.alpn_protocols = ['h2'];
  const sni = tls.sni ?? (hostname.startsWith('*') ? '' : hostname);
  const ctx: Json = { '@type': ANY(UPSTREAM_TLS), common_tls_context: common };
  if (sni) ctx.sni = sni;
  return { name: 'envoy.transport_sockets.tls', typed_config: ctx };
}
