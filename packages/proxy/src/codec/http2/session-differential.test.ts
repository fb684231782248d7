import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import * as F from './frames.js';
import { HpackEncoder } from './hpack-encoder.js';
import { startScriptedServer } from './test-server.js';
import { WriteBuffer } from './write-buffer.js';

// Header-block framing (CONTINUATION) and padding decided by our session and by nghttp2 (node:http2): the same
// frames must get the same outcome from both: answered, the stream reset, or the connection closed with a code.

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Sends the preface, SETTINGS and `frames`; resolves the first outcome for stream 1 or the connection. */
async function outcome(port: number, frames: Buffer): Promise<string> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  const w = new WriteBuffer();
  w.bytes(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
  F.writeSettings(w, []);
  w.bytes(frames);
  sock.write(w.take() as Buffer);
  let buf = Buffer.alloc(0);
  const result = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('nothing'), 2000);
    const done = (r: string): void => {
      clearTimeout(timer);
      resolve(r);
    };
    sock.on('close', () => done('closed'));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let off = 0; off + 9 <= buf.length; ) {
        const len = buf.readUIntBE(off, 3);
        if (off + 9 + len > buf.length) break;
        const type = buf[off + 3];
        const id = buf.readUInt32BE(off + 5) & 0x7fffffff;
        if (type === F.GOAWAY) return done(`goaway ${buf.readUInt32BE(off + 13)}`);
        if (type === F.RST_STREAM && id === 1) return done(`rst ${buf.readUInt32BE(off + 9)}`);
        if (type === F.HEADERS && id === 1) return done('answered');
        off += 9 + len;
      }
    });
  });
  sock.destroy();
  return result;
}

function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const w = new WriteBuffer();
  F.writeFrameHeader(w, payload.length, type, flags, id);
  w.bytes(payload);
  return w.take() as Buffer;
}

const padded = (padLength: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([padLength]), body, Buffer.alloc(Math.max(0, padLength))]);

test('CONTINUATION and padding: our session decides like nghttp2 (node:http2) on every case', async () => {
  // Each case runs on a fresh connection: its header block comes from a fresh encoder (an empty dynamic table).
  const block = (fields: Array<[string, string]>): Buffer => {
    const enc = new HpackEncoder();
    const b = new WriteBuffer();
    for (const [n, v] of fields) enc.encode(b, n, v);
    return b.take() as Buffer;
  };
  const request = (method = 'GET'): Array<[string, string]> => [[':method', method], [':scheme', 'http'], [':path', '/a/long/enough/path/to/split'], [':authority', 'example.test'], ['x-filler', 'x'.repeat(40)]];
  const H = F.HEADERS;
  const C = F.CONTINUATION;
  const EH = F.FLAG_END_HEADERS;
  const ES = F.FLAG_END_STREAM;
  const PADDED = 0x8;
  const PRIORITY = 0x20;
  const cases: Array<[string, () => Buffer]> = [
    ['HEADERS + CONTINUATION', () => {
      const b = block(request());
      return Buffer.concat([frame(H, ES, 1, b.subarray(0, 10)), frame(C, EH, 1, b.subarray(10))]);
    }],
    ['HEADERS + three CONTINUATIONs, one of them empty', () => {
      const b = block(request());
      return Buffer.concat([frame(H, ES, 1, b.subarray(0, 5)), frame(C, 0, 1, b.subarray(5, 20)), frame(C, 0, 1, Buffer.alloc(0)), frame(C, EH, 1, b.subarray(20))]);
    }],
    ['DATA between HEADERS and its CONTINUATION', () => {
      const b = block(request('POST'));
      return Buffer.concat([frame(H, 0, 1, b.subarray(0, 10)), frame(F.DATA, ES, 1, Buffer.from('x')), frame(C, EH, 1, b.subarray(10))]);
    }],
    ['CONTINUATION on another stream', () => {
      const b = block(request());
      return Buffer.concat([frame(H, ES, 1, b.subarray(0, 10)), frame(C, EH, 3, b.subarray(10))]);
    }],
    ['CONTINUATION after a block that ended', () => {
      const b = block(request('POST'));
      return Buffer.concat([frame(H, EH, 1, b), frame(C, EH, 1, Buffer.from([0x82]))]);
    }],
    ['PING between HEADERS and its CONTINUATION', () => {
      const b = block(request());
      return Buffer.concat([frame(H, ES, 1, b.subarray(0, 10)), frame(F.PING, 0, 0, Buffer.alloc(8)), frame(C, EH, 1, b.subarray(10))]);
    }],
    ['padded HEADERS', () => frame(H, EH | ES | PADDED, 1, padded(17, block(request())))],
    ['padded HEADERS with zero padding', () => frame(H, EH | ES | PADDED, 1, padded(0, block(request())))],
    ['padded HEADERS whose pad length covers the whole payload', () => {
      const b = block(request());
      return frame(H, EH | ES | PADDED, 1, Buffer.concat([Buffer.from([b.length + 1]), b]));
    }],
    ['HEADERS with a priority block', () => frame(H, EH | ES | PRIORITY, 1, Buffer.concat([Buffer.from([0, 0, 0, 0, 15]), block(request())]))],
    ['padded HEADERS with a priority block, continued', () => {
      const b = block(request());
      return Buffer.concat([frame(H, ES | PADDED | PRIORITY, 1, Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 15]), b.subarray(0, 8), Buffer.alloc(3)])), frame(C, EH, 1, b.subarray(8))]);
    }],
    ['padded DATA', () => Buffer.concat([frame(H, EH, 1, block(request('POST'))), frame(F.DATA, ES | PADDED, 1, padded(40, Buffer.from('body')))])],
    ['padded DATA with only padding', () => Buffer.concat([frame(H, EH, 1, block(request('POST'))), frame(F.DATA, ES | PADDED, 1, padded(5, Buffer.alloc(0)))])],
    ['padded DATA whose pad length covers the whole payload', () => Buffer.concat([frame(H, EH, 1, block(request('POST'))), frame(F.DATA, ES | PADDED, 1, Buffer.from([9, 1, 2, 3]))])],
    ['empty padded HEADERS payload (no pad length byte)', () => frame(H, EH | ES | PADDED, 1, Buffer.alloc(0))],
  ];

  // Answers every complete request with 200.
  const { server: ours, port: ourPort } = await startScriptedServer((session, s) => {
    session.hpackOut.encode(session.headerBlock(s), ':status', '200');
    session.sendHeaders(s, true);
  });
  const theirs = http2.createServer();
  theirs.on('stream', (s) => {
    s.on('error', () => {});
    s.resume();
    s.on('end', () => {
      if (!s.destroyed) s.respond({ ':status': 200 }, { endStream: true });
    });
  });
  theirs.on('sessionError', () => {});
  const sessions: http2.ServerHttp2Session[] = [];
  theirs.on('session', (sess) => sessions.push(sess));
  const theirPort = await listen(theirs as unknown as net.Server);
  try {
    const got: string[] = [];
    const want: string[] = [];
    for (const [name, make] of cases) {
      const bytes = make();
      got.push(`${name}: ${await outcome(ourPort, bytes)}`);

      want.push(`${name}: ${await outcome(theirPort, bytes)}`);
    }
    assert.deepEqual(got, want);
    // The cases do reach both outcomes, so the comparison means something.
    assert.ok(want.some((w) => w.endsWith('answered')) && want.some((w) => w.includes('goaway')), want.join('\n'));
  } finally {
    await new Promise<void>((r) => ours.close(() => r()));
    // node:http2 keeps a session it answered with GOAWAY open until it is destroyed; close() would wait forever.
    for (const sess of sessions) sess.destroy();
    await new Promise<void>((r) => theirs.close(() => r()));
  }
});
