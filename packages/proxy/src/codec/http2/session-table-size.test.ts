import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import * as F from './frames.js';
import type { H2Stream } from './h2-stream.js';
import { HPACK_OK, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import type { Http2Session } from './session.js';
import { startScriptedServer } from './test-server.js';
import { WriteBuffer } from './write-buffer.js';

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** Frames as they arrive on `sock`, one at a time. */
function frameReader(sock: net.Socket): () => Promise<Frame> {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  return async () => {
    for (;;) {
      if (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length >= 9 + len) {
          const f = { type: buf[3] as number, flags: buf[4] as number, id: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) };
          buf = buf.subarray(9 + len);
          return f;
        }
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
}

/** Response headers, a body that waits for the window, then trailers (so encoded without the dynamic table). */
function answerWithBlockedTrailers(session: Http2Session<string>, s: H2Stream<string>): void {
  session.hpackOut.encode(session.headerBlock(s), ':status', '200');
  session.sendHeaders(s, false);
  session.sendData(s, Buffer.from('0123456789'), false);
  const w = session.headerBlock(s);
  session.hpackOut.encode(w, 'x-trailer', 'value');
  session.hpackOut.encode(w, 'grpc-status', '0');
  session.sendHeaders(s, true);
}

test('a header table size change is signalled by the next header block on the wire, even trailers that waited behind flow control (RFC 7541 §4.2)', async () => {
  // Response headers go out, the body waits for the window, so the trailers are encoded without the table; the
  // peer then lowers SETTINGS_HEADER_TABLE_SIZE and opens the window: the trailers are the first block it gets.
  const { server, port } = await startScriptedServer(answerWithBlockedTrailers);
  const sock = net.connect(port, '127.0.0.1');
  try {
    const next = frameReader(sock);
    const w = new WriteBuffer();
    w.bytes(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
    F.writeSettings(w, [F.SETTINGS_INITIAL_WINDOW_SIZE, 0]);
    const enc = new HpackEncoder();
    const block = new WriteBuffer();
    enc.beginBlock(block);
    for (const [n, v] of [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'a']] as const) enc.encode(block, n, v);
    const req = block.take() as Buffer;
    F.writeFrameHeader(w, req.length, F.HEADERS, F.FLAG_END_HEADERS | F.FLAG_END_STREAM, 1);
    w.bytes(req);
    sock.write(w.take() as Buffer);
    const dec = new HpackDecoder(4096);
    const headerBlocks: Buffer[] = [];
    const decode = (b: Buffer): string[] => {
      const out: string[] = [];
      assert.equal(dec.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
      return out;
    };
    for (let f = await next(); ; f = await next()) {
      if (f.type === F.SETTINGS && (f.flags & F.FLAG_ACK) === 0) {
        F.writeSettingsAck(w);
        sock.write(w.take() as Buffer);
      }
      if (f.type === F.HEADERS && f.id === 1) {
        assert.deepEqual(decode(f.payload), [':status', '200']);
        break;
      }
    }
    // Lower the table to 0 (acknowledged before the window opens: frames are handled in order), then open the window.
    F.writeSettings(w, [F.SETTINGS_HEADER_TABLE_SIZE, 0]);
    F.writeFrameHeader(w, 4, F.WINDOW_UPDATE, 0, 1);
    w.u32(100);
    sock.write(w.take() as Buffer);
    dec.setMaxTableSize(0);
    for (let f = await next(); ; f = await next()) {
      if (f.type === F.HEADERS && f.id === 1) {
        headerBlocks.push(f.payload);
        break;
      }
    }
    const trailers = headerBlocks[0] as Buffer;
    // nghttp2 (Envoy, node:http2) refuses a first block without the update: COMPRESSION_ERROR.
    assert.equal((trailers[0] as number) & 0xe0, 0x20, `trailers block ${trailers.toString('hex')} does not start with a size update`);
    assert.deepEqual(decode(trailers), ['x-trailer', 'value', 'grpc-status', '0']);
    assert.equal(dec.table.maxSize, 0);
  } finally {
    sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('node:http2 (nghttp2) gets trailers that waited behind flow control across its header table size change', async () => {
  // Without the update nghttp2 answers the trailers with GOAWAY(COMPRESSION_ERROR).
  const { server, port } = await startScriptedServer(answerWithBlockedTrailers);
  const client = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
  client.on('error', () => {});
  try {
    const result = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), 3000);
      client.on('goaway', (code) => resolve(`goaway ${code}`));
      const req = client.request({ ':path': '/' });
      req.on('error', () => {});
      req.on('response', () => client.settings({ headerTableSize: 0 }, () => client.settings({ initialWindowSize: 100 })));
      req.on('data', () => {});
      req.on('trailers', (t) => {
        clearTimeout(timer);
        resolve(`trailers ${String(t['x-trailer'])} ${String(t['grpc-status'])}`);
      });
    });
    assert.equal(result, 'trailers value 0');
  } finally {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
