import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';

export interface TlsClientOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly alpn?: string[];
  readonly headers?: Record<string, string>;
  readonly ciphers?: string;
  readonly maxVersion?: tls.SecureVersion;
}

export interface HttpsResult {
  readonly status: number;
  readonly body: string;
  /** CN of the server certificate. */
  readonly serverCn: string;
  readonly serverSerial: string;
}

function tlsOptions(o: TlsClientOptions): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { rejectUnauthorized: o.ca !== undefined, checkServerIdentity: () => undefined };
  if (o.ca) opts.ca = readFileSync(o.ca);
  if (o.cert) opts.cert = readFileSync(o.cert);
  if (o.key) opts.key = readFileSync(o.key);
  if (o.servername) opts.servername = o.servername;
  if (o.alpn) opts.ALPNProtocols = o.alpn;
  if (o.ciphers) opts.ciphers = o.ciphers;
  if (o.maxVersion) opts.maxVersion = o.maxVersion;
  return opts;
}

/** One HTTPS GET over a new connection; rejects when the TLS handshake or the connection fails. */
export function httpsGet(port: number, path: string, o: TlsClientOptions = {}): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request({ ...tlsOptions(o), host: '127.0.0.1', port, path, agent: false, headers: o.headers }, (res) => {
      const peer = (res.socket as tls.TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), serverCn: String(peer.subject?.CN ?? ''), serverSerial: peer.serialNumber ?? '' }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TLS handshake only: resolves with what was negotiated, then closes. */
export function tlsHandshake(port: number, o: TlsClientOptions = {}): Promise<{ alpn: string | false; serverCn: string; version?: string; cipher?: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...tlsOptions(o), host: '127.0.0.1', port }, () => {
      const cn = String(s.getPeerCertificate().subject?.CN ?? '');
      const alpn = s.alpnProtocol ?? false;
      const version = s.getProtocol() ?? '';
      const cipher = s.getCipher().name;
      s.end();
      resolve(o.maxVersion || o.ciphers ? { alpn, serverCn: cn, version, cipher } : { alpn, serverCn: cn });
    });
    s.on('error', reject);
  });
}
