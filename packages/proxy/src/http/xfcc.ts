import { ConfigError, joinPath } from '@weft/api/lite';
import type { HttpConnectionManager__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { HeaderMap } from '../interfaces/header-map.js';
import type { TlsConnectionInfo } from '../interfaces/transport-socket.js';

const XFCC = 'x-forwarded-client-cert';

export type XfccMode = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

/** forward_client_cert_details + set_current_client_cert_details. */
export interface XfccConfig {
  readonly mode: XfccMode;
  readonly subject: boolean;
  readonly uri: boolean;
  readonly dns: boolean;
}

export function parseXfcc(cfg: HttpConnectionManager__Output, path: string): XfccConfig {
  const mode = String(cfg.forward_client_cert_details) as XfccMode;
  const d = cfg.set_current_client_cert_details;
  if (d?.cert) throw new ConfigError(joinPath(joinPath(path, 'set_current_client_cert_details'), 'cert'), 'is not supported yet');
  if (d?.chain) throw new ConfigError(joinPath(joinPath(path, 'set_current_client_cert_details'), 'chain'), 'is not supported yet');
  return { mode, subject: d?.subject?.value === true, uri: d?.uri === true, dns: d?.dns === true };
}

/**
 * Envoy's x-forwarded-client-cert handling: removed unless the connection is mTLS (or ALWAYS_FORWARD_ONLY); on mTLS
 * connections APPEND_FORWARD / SANITIZE_SET add this hop's element (By, Hash, then the configured details).
 */
export function mutateXfcc(headers: HeaderMap, x: XfccConfig, tls: TlsConnectionInfo | undefined): void {
  if (x.mode === 'ALWAYS_FORWARD_ONLY') return;
  const peer = tls?.peerCertificate;
  if (peer === undefined || x.mode === 'SANITIZE') {
    headers.remove(XFCC);
    return;
  }
  if (x.mode === 'FORWARD_ONLY') return;
  const parts: string[] = [];
  for (const uri of tls?.localCertificate?.uriSans ?? []) parts.push(`By=${uri}`);
  parts.push(`Hash=${peer.sha256}`);
  if (x.subject) parts.push(`Subject="${peer.subject}"`);
  if (x.uri) for (const uri of peer.uriSans) parts.push(`URI=${uri}`);
  if (x.dns) for (const dns of peer.dnsSans) parts.push(`DNS=${dns}`);
  const element = parts.join(';');
  const existing = x.mode === 'APPEND_FORWARD' ? headers.getJoined(XFCC) : undefined;
  headers.set(XFCC, existing ? `${existing},${element}` : element);
}
