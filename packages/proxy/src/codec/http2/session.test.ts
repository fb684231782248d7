import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import * as F from './frames.js';
import type { H2Stream } from './h2-stream.js';
import { HpackEncoder } from './hpack-encoder.js';
import { Http2Session, type Http2SessionHandler, type Http2SessionSettings } from './session.js';
import { TEST_SETTINGS } from './test-server.js';
import { WriteBuffer } from './write-buffer.js';

const SETTINGS: Http2SessionSettings = TEST_SETTINGS;

interface Req {
  fields: string[];
  body: Buffer[];
  trailers: string[] | undefined;
}

/** An echo server on our session: answers each request with its headers as x-echo-*, its body, and trailers. */
class EchoHandler implements Http2SessionHandler<Req> {
  session!: Http2Session<Req>;
  closes: number[] = [];
  errors: number[] = [];
  floods: number[] = [];
  onHeaders(s: H2Stream<Req>, fields: string[], endStream: boolean): void {
    if (s.user === undefined) s.user = { fields: [...fields], body: [], trailers: undefined };
    else s.user.trailers = [...fields];
    if (endStream) this.respond(s);
  }
  onHeadersTooLarge(s: H2Stream<Req>): void {
    this.session.resetStream(s, F.INTERNAL_ERROR);
  }
  onData(s: H2Stream<Req>, data: Buffer, endStream: boolean): void {
    s.user?.body.push(Buffer.from(data));
    if (endStream) this.respond(s);
  }
  private respond(s: H2Stream<Req>): void {
    const req = s.user as Req;
    const session = this.session;
    const w = session.headerBlock(s);
    session.hpackOut.encode(w, ':status', '200');
    for (let i = 0; i < req.fields.length; i += 2) {
      const name = req.fields[i] as string;
      session.hpackOut.encode(w, `x-echo-${name.replace(':', '')}`, req.fields[i + 1] as string);
    }
    session.sendHeaders(s, false);
    session.sendData(s, Buffer.concat(req.body), false);
    session.hpackOut.encode(session.headerBlock(s), 'x-trailer-count', String((req.trailers?.length ?? 0) / 2));
    session.sendHeaders(s, true);
  }
  onStreamClose(_s: H2Stream<Req>, reason: number): void {
    this.closes.push(reason);
  }
  onStreamWritable(): void {}
  onGoaway(): void {}
  onPingAck(): void {}
  onRemoteSettings(): void {}
  onConnectionError(code: number): void {
    this.errors.push(code);
  }
  onFlood(kind: number): void {
    this.floods.push(kind);
  }
  onClose(): void {}
}

async function echoServer(settings = SETTINGS): Promise<{ port: number; handlers: EchoHandler[]; close(): Promise<void> }> {
  const handlers: EchoHandler[] = [];
  const server = net.createServer((socket) => {
    const h = new EchoHandler();
    h.session = new Http2Session<Req>(socket, true, settings, h);
    handlers.push(h);
    h.session.start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, handlers, close: () => new Promise((r) => server.close(() => r())) };
}

function nodeRequest(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer, trailers?: http2.OutgoingHttpHeaders) {
  return new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders | undefined }>((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined && trailers === undefined, waitForTrailers: trailers !== undefined });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let tr: http2.IncomingHttpHeaders | undefined;
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (tr = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks), trailers: tr }));
    req.on('error', reject);
    if (trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(trailers));
    if (body !== undefined) req.end(body);
    else if (trailers !== undefined) req.end();
  });
}

test('Http2Session (server) against node:http2: 200 requests on one connection, HPACK both ways, bodies and trailers', async () => {
  const srv = await echoServer();
  const client = http2.connect(`http://127.0.0.1:${srv.port}`);
  try {
    for (let i = 0; i < 200; i++) {
      const body = i % 3 === 0 ? Buffer.alloc(i * 10, i & 0xff) : undefined;
      const trailers = i % 5 === 0 ? { 'x-t': String(i) } : undefined;
      const headers = { ':method': 'POST', ':path': `/p/${i}`, 'x-same': 'constant', 'x-vary': `v${i % 7}`, authorization: `secret-${i}`, [http2.sensitiveHeaders]: ['authorization'] };
      const r = await nodeRequest(client, headers, body, trailers);
      assert.equal(r.headers[':status'], 200);
      assert.equal(r.headers['x-echo-path'], `/p/${i}`);
      assert.equal(r.headers['x-echo-x-vary'], `v${i % 7}`);
      assert.equal(r.headers['x-echo-authorization'], `secret-${i}`);
      assert.deepEqual(r.body, body ?? Buffer.alloc(0));
      assert.equal(r.trailers?.['x-trailer-count'], trailers ? '1' : '0');
    }
    // 20 concurrent streams.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => nodeRequest(client, { ':path': `/c${i}` })));
    many.forEach((r, i) => assert.equal(r.headers['x-echo-path'], `/c${i}`));
  } finally {
    client.close();
    await srv.close();
  }
});

test('Http2Session flow control: 1 MB each way through 64 KiB windows (WINDOW_UPDATEs both directions)', async () => {
  const srv = await echoServer();
  const client = http2.connect(`http://127.0.0.1:${srv.port}`, { settings: { initialWindowSize: 65535 } });
  try {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const rs = await Promise.all([nodeRequest(client, { ':method': 'PUT', ':path': '/a' }, body), nodeRequest(client, { ':method': 'PUT', ':path': '/b' }, body)]);
    for (const r of rs) assert.ok(r.body.equals(body));
  } finally {
    client.close();
    await srv.close();
  }
});

/** Sends `frames` after the preface and a SETTINGS frame; resolves the GOAWAY error code we get back (-1: none). */
async function goawayFor(port: number, frames: Buffer): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  const w = new WriteBuffer();
  w.bytes(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
  F.writeSettings(w, []);
  socket.write(w.take() as Buffer);
  socket.write(frames);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => socket.destroy(), 2000);
  await new Promise<void>((r) => socket.on('close', () => r()));
  clearTimeout(timer);
  const all = Buffer.concat(chunks);
  for (let p = 0; p + 9 <= all.length; ) {
    const len = all.readUIntBE(p, 3);
    if (all[p + 3] === F.GOAWAY) return all.readUInt32BE(p + 13);
    p += 9 + len;
  }
  return -1;
}

function frame(type: number, flags: number, id: number, payload: number[] | Buffer): Buffer {
  const w = new WriteBuffer();
  const p = Buffer.from(payload);
  F.writeFrameHeader(w, p.length, type, flags, id);
  w.bytes(p);
  return w.take() as Buffer;
}

test('Http2Session connection errors: each malformed input gets GOAWAY with its RFC 9113 code, then the close', async () => {
  const srv = await echoServer();
  try {
    const block = new WriteBuffer();
    const enc = new HpackEncoder();
    for (const [n, v] of [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']] as const) enc.encode(block, n, v);
    const headers = block.take() as Buffer;
    const cases: Array<[string, Buffer, number]> = [
      ['DATA on stream 0', frame(F.DATA, 0, 0, [1]), F.PROTOCOL_ERROR],
      ['SETTINGS length not a multiple of 6', frame(F.SETTINGS, 0, 0, [0, 0, 0, 0, 0]), F.FRAME_SIZE_ERROR],
      ['PING of 7 bytes', frame(F.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7]), F.FRAME_SIZE_ERROR],
      ['WINDOW_UPDATE of 0 on the connection', frame(F.WINDOW_UPDATE, 0, 0, [0, 0, 0, 0]), F.PROTOCOL_ERROR],
      ['an undecodable header block', frame(F.HEADERS, F.FLAG_END_HEADERS | F.FLAG_END_STREAM, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), F.COMPRESSION_ERROR],
      ['CONTINUATION without HEADERS', frame(F.CONTINUATION, F.FLAG_END_HEADERS, 1, headers), F.PROTOCOL_ERROR],
      ['HEADERS on an even (server) stream id', frame(F.HEADERS, F.FLAG_END_HEADERS | F.FLAG_END_STREAM, 2, headers), F.PROTOCOL_ERROR],
      ['a frame larger than SETTINGS_MAX_FRAME_SIZE', frame(F.DATA, 0, 1, Buffer.alloc(16385)), F.FRAME_SIZE_ERROR],
      ['PUSH_PROMISE from a client', frame(F.PUSH_PROMISE, F.FLAG_END_HEADERS, 1, [0, 0, 0, 2]), F.PROTOCOL_ERROR],
      ['RST_STREAM on an idle stream', frame(F.RST_STREAM, 0, 5, [0, 0, 0, 0]), F.PROTOCOL_ERROR],
      ['SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1', frame(F.SETTINGS, 0, 0, [0, 4, 0x80, 0, 0, 0]), F.FLOW_CONTROL_ERROR],
    ];
    const got: string[] = [];
    for (const [name, bytes, code] of cases) got.push(`${name}: ${await goawayFor(srv.port, bytes)} (want ${code})`);
    assert.deepEqual(got, cases.map(([name, , code]) => `${name}: ${code} (want ${code})`));
    const badPreface = net.connect(srv.port, '127.0.0.1');
    badPreface.write('GET / HTTP/1.1\r\n\r\n');
    badPreface.resume();
    await new Promise<void>((r) => badPreface.on('close', () => r()));
    assert.equal(srv.handlers.length, cases.length + 1);
  } finally {
    await srv.close();
  }
});

test('Http2Session (client) against a node:http2 server: requests, bodies, trailers; a GOAWAY is reported', async () => {
  const server = http2.createServer();
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (sess) => sessions.push(sess));
  server.on('stream', (s, h) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      s.respond({ ':status': 201, 'x-path': String(h[':path']) }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'x-len': String(Buffer.concat(chunks).length) }));
      s.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  const got: Array<{ fields: string[][]; body: Buffer[] }> = [];
  let goaways = 0;
  const done: Array<() => void> = [];
  const handler: Http2SessionHandler<number> = {
    onHeaders: (s, fields) => (got[s.user as number] as { fields: string[][] }).fields.push([...fields]),
    onHeadersTooLarge: () => {},
    onData: (s, data) => void (got[s.user as number] as { body: Buffer[] }).body.push(Buffer.from(data)),
    onStreamClose: (s) => done[s.user as number]?.(),
    onStreamWritable: () => {},
    onGoaway: () => void goaways++,
    onPingAck: () => {},
    onRemoteSettings: () => {},
    onConnectionError: () => {},
    onFlood: () => {},
    onClose: () => {},
  };
  const session = new Http2Session<number>(socket, false, SETTINGS, handler);
  session.start();
  try {
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      const s = session.openStream();
      assert.ok(s);
      s.user = i;
      got[i] = { fields: [], body: [] };
      closed.push(new Promise<void>((r) => (done[i] = r)));
      const w = session.headerBlock(s);
      for (const [n, v] of [[':method', 'POST'], [':scheme', 'http'], [':path', `/r${i}`], [':authority', 'x']] as const) session.hpackOut.encode(w, n, v);
      session.sendHeaders(s, false);
      session.sendData(s, Buffer.alloc(i * 1000, 1), true);
    }
    await Promise.all(closed);
    for (let i = 0; i < 10; i++) {
      const r = got[i] as { fields: string[][]; body: Buffer[] };
      assert.deepEqual(r.fields[0]?.slice(0, 4), [':status', '201', 'x-path', `/r${i}`]);
      assert.deepEqual(r.fields[1], ['x-len', String(i * 1000)]);
      assert.equal(Buffer.concat(r.body).length, i * 1000);
    }
    // A GOAWAY from the server is reported; no new stream may open after it.
    for (const sess of sessions) sess.goaway();
    await eventually(() => goaways === 1);
    assert.equal(session.openStream(), null);
  } finally {
    session.destroy();
    for (const sess of sessions) sess.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

async function eventually(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}
