/** Envoy's limit: a ClientHello larger than this is refused (tls_inspector.client_hello_too_large). */
export const MAX_CLIENT_HELLO = 64 * 1024;

export type ClientHelloResult =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'tls'; readonly sni: string; readonly alpn: readonly string[] };

const NEED_MORE: ClientHelloResult = { kind: 'need-more' };
const NOT_TLS: ClientHelloResult = { kind: 'not-tls' };
const TOO_LARGE: ClientHelloResult = { kind: 'too-large' };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

/**
 * Parses the ClientHello at the start of `buf` (what a client sent so far), reassembling it across TLS records.
 * Answers as soon as the bytes cannot be TLS, so plaintext clients are not kept waiting.
 */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  // Record header: type, version major 3, minor 0..4, length.
  if (buf.length >= 1 && buf[0] !== RECORD_HANDSHAKE) return NOT_TLS;
  if (buf.length >= 2 && buf[1] !== 0x03) return NOT_TLS;
  if (buf.length >= 3 && (buf[2] as number) > 0x04) return NOT_TLS;
  if (buf.length >= 6 && buf[5] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
  // The handshake length is known from the first 9 bytes: refuse a huge hello before buffering it.
  if (buf.length >= 9 && buf.readUInt16BE(3) >= 4 && 4 + buf.readUIntBE(6, 3) > MAX_CLIENT_HELLO) return TOO_LARGE;
  // Reassemble the handshake message from consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1;
  let off = 0;
  while (need < 0 || have < need) {
    if (off + 5 > buf.length) return buf.length > MAX_CLIENT_HELLO ? TOO_LARGE : NEED_MORE;
    if (buf[off] !== RECORD_HANDSHAKE || buf[off + 1] !== 0x03) return NOT_TLS;
    const len = buf.readUInt16BE(off + 3);
    if (len === 0) return NOT_TLS;
    if (off + 5 + len > buf.length) return off + 5 + len > MAX_CLIENT_HELLO + 5 ? TOO_LARGE : NEED_MORE;
    parts.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const hs = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      if (hs[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
      need = 4 + hs.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) return TOO_LARGE;
    }
  }
  const hs = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  return parseBody(hs.subarray(4, need)) ?? NOT_TLS;
}

/** ClientHello body; undefined when malformed. */
function parseBody(b: Buffer): ClientHelloResult | undefined {
  let p = 2 + 32; // client_version, random
  if (p + 1 > b.length) return undefined;
  p += 1 + (b[p] as number); // session_id
  if (p + 2 > b.length) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher_suites
  if (p + 1 > b.length) return undefined;
  p += 1 + (b[p] as number); // compression_methods
  let sni = '';
  const alpn: string[] = [];
  if (p === b.length) return { kind: 'tls', sni, alpn }; // no extensions
  if (p + 2 > b.length) return undefined;
  const end = p + 2 + b.readUInt16BE(p);
  if (end > b.length) return undefined;
  p += 2;
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const data = p + 4;
    if (data + len > end) return undefined;
    if (type === EXT_SERVER_NAME && len >= 2) sni = serverName(b.subarray(data, data + len));
    else if (type === EXT_ALPN && len >= 2) protocols(b.subarray(data, data + len), alpn);
    p = data + len;
  }
  return { kind: 'tls', sni, alpn };
}

function serverName(e: Buffer): string {
  const end = Math.min(e.length, 2 + e.readUInt16BE(0));
  let p = 2;
  while (p + 3 <= end) {
    const type = e[p] as number;
    const len = e.readUInt16BE(p + 1);
    if (p + 3 + len > end) return '';
    if (type === 0) return e.toString('latin1', p + 3, p + 3 + len).toLowerCase();
    p += 3 + len;
  }
  return '';
}

function protocols(e: Buffer, out: string[]): void {
  const end = Math.min(e.length, 2 + e.readUInt16BE(0));
  let p = 2;
  while (p < end) {
    const len = e[p] as number;
    if (len === 0 || p + 1 + len > end) return;
    out.push(e.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
}
