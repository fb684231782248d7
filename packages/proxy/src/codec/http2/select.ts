/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type CodecChoice = 'http1' | 'http2' | 'need-more';

/**
 * Envoy's codec_type AUTO: the negotiated ALPN decides when there is one (`h2` → HTTP/2, `http/1.1` → HTTP/1);
 * otherwise (plaintext) the first bytes: the HTTP/2 preface means prior-knowledge h2c, anything else HTTP/1.
 */
export function selectCodec(firstBytes: Buffer, alpn: string): CodecChoice {
  if (alpn === 'h2') return 'http2';
  if (alpn !== '') return 'http1';
  const n = Math.min(firstBytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (firstBytes[i] !== H2_PREFACE[i]) return 'http1';
  return n === H2_PREFACE.length ? 'http2' : 'need-more';
}
