import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { MAX_CLIENT_HELLO, parseClientHello } from './client-hello.js';

/** The first flight a real Node TLS client sends (a complete ClientHello record). */
function captureClientHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          s.destroy();
          server.close();
          resolve(buf);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const c = tls.connect({ ...opts, host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false });
      c.on('error', () => undefined);
    });
    server.on('error', reject);
  });
}

/** Re-frames one handshake record into two records split at `at` bytes of the handshake message. */
function splitRecord(rec: Buffer, at: number): Buffer {
  const body = rec.subarray(5);
  const frame = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
  return Buffer.concat([frame(body.subarray(0, at)), frame(body.subarray(at))]);
}

describe('ClientHello parser', () => {
  let hello: Buffer;
  let bare: Buffer;
  before(async () => {
    hello = await captureClientHello({ servername: 'API.Example.com', ALPNProtocols: ['h2', 'http/1.1'] });
    bare = await captureClientHello({});
  });

  test('extracts SNI (lower-cased) and the offered ALPN protocols', () => {
    assert.deepEqual(parseClientHello(hello), { kind: 'tls', sni: 'api.example.com', alpn: ['h2', 'http/1.1'] });
    assert.deepEqual(parseClientHello(bare), { kind: 'tls', sni: '', alpn: [] });
  });

  test('needs more bytes for every strict prefix, byte by byte', () => {
    for (let n = 1; n < hello.length; n++) assert.equal(parseClientHello(hello.subarray(0, n)).kind, 'need-more', `at ${n} bytes`);
  });

  test('reassembles a ClientHello fragmented across TLS records', () => {
    for (const at of [2, 4, 40, hello.length - 10]) {
      assert.deepEqual(parseClientHello(splitRecord(hello, at)), { kind: 'tls', sni: 'api.example.com', alpn: ['h2', 'http/1.1'] }, `split at ${at}`);
    }
  });

  test('plaintext is recognised from its first byte', () => {
    assert.equal(parseClientHello(Buffer.from('G')).kind, 'not-tls');
    assert.equal(parseClientHello(Buffer.from('PRI * HTTP/2.0\r\n')).kind, 'not-tls');
    assert.equal(parseClientHello(Buffer.from([0x16, 0x01])).kind, 'not-tls');
    assert.equal(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10, 0x02])).kind, 'not-tls'); // ServerHello
  });

  test('never throws on corrupted or truncated input (seeded mutations)', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(hello);
      for (let k = 0, m = 1 + rnd(4); k < m; k++) b[5 + rnd(b.length - 5)] = rnd(256);
      const cut = b.subarray(0, 1 + rnd(b.length));
      const r = parseClientHello(cut);
      assert.ok(['tls', 'not-tls', 'need-more', 'too-large'].includes(r.kind));
    }
  });

  test('an oversized ClientHello is refused', () => {
    const len = MAX_CLIENT_HELLO + 100;
    const head = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10, 0x01, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]);
    assert.equal(parseClientHello(Buffer.concat([head, Buffer.alloc(11)])).kind, 'too-large');
  });
});
