/**
 * Request smuggling end to end: every attack hides a second request (`/smuggled`) that a lenient hop would forward.
 * The proxy must answer the error status and close, forward no complete request and never the smuggled bytes, and
 * keep serving other connections.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange, request, startProxyFromYaml, statusCodes, type TestProxy } from '@weft/testing';
import { sleep } from './raw-conn.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
const P = 'POST / HTTP/1.1\r\nHost: a\r\n';

interface Attack {
  readonly name: string;
  readonly input: string;
  readonly status: number;
  /** The attack's own head is valid and reaches the upstream before its body turns out malformed. */
  readonly headForwarded?: boolean;
}

const ATTACKS: Attack[] = [
  // CL.TE / TE.CL: both framing headers.
  { name: 'CL.TE classic', input: `${P}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE.CL classic', input: `${P}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n24\r\n${SMUGGLED}\r\n0\r\n\r\n`, status: 400 },
  { name: 'CL.TE with TE: xchunked', input: `${P}Content-Length: 40\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL.TE with identity, chunked', input: `${P}Content-Length: 5\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  // TE.TE obfuscations.
  { name: 'TE with space before colon', input: `${P}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE: xchunked alone', input: `${P}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 501 },
  { name: 'TE quoted', input: `${P}Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE chunked twice', input: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE chunked then identity', input: `${P}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE with vertical tab', input: `${P}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE behind obs-fold', input: `${P}X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE as folded value', input: `${P}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  // Content-Length games.
  { name: 'duplicate Content-Length with different values', input: `${P}Content-Length: 0\r\nContent-Length: 37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Content-Length list with different values', input: `${P}Content-Length: 0, 37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Content-Length with a plus sign', input: `${P}Content-Length: +37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Content-Length overflowing 64 bits', input: `${P}Content-Length: 18446744073709551616\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Content-Length with space before colon', input: `${P}Content-Length : 37\r\n\r\n${SMUGGLED}`, status: 400 },
  // Chunk-size tricks: the head is valid, the body is not.
  { name: 'chunk size with 0x prefix', input: `${P}Transfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n${SMUGGLED}`, status: 400, headForwarded: true },
  { name: 'negative chunk size', input: `${P}Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n${SMUGGLED}`, status: 400, headForwarded: true },
  { name: 'chunk size overflowing 64 bits', input: `${P}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\n${SMUGGLED}`, status: 400, headForwarded: true },
  { name: 'chunk longer than declared', input: `${P}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n${SMUGGLED}`, status: 400, headForwarded: true },
  { name: 'chunk data without CRLF', input: `${P}Transfer-Encoding: chunked\r\n\r\n3\r\nabc${SMUGGLED}0\r\n\r\n`, status: 400, headForwarded: true },
  { name: 'last chunk with bare LFs', input: `${P}Transfer-Encoding: chunked\r\n\r\n0\n\n${SMUGGLED}`, status: 400, headForwarded: true },
  { name: 'chunk extension hiding CRLF in quotes', input: `${P}Transfer-Encoding: chunked\r\n\r\n0;a="\r\n\r\n${SMUGGLED}"\r\n\r\n`, status: 400, headForwarded: true },
  // Line endings and folding.
  { name: 'bare LF line endings', input: `GET / HTTP/1.1\nHost: a\n\n${SMUGGLED}`, status: 400 },
  { name: 'header value ended by bare LF', input: `GET / HTTP/1.1\r\nHost: a\r\nX: a\n${SMUGGLED}`, status: 400 },
  { name: 'header value with bare CR', input: `GET / HTTP/1.1\r\nHost: a\r\nX: a\r${SMUGGLED}`, status: 400 },
  { name: 'obs-fold continuation line', input: `GET / HTTP/1.1\r\nHost: a\r\nX-Long: a\r\n\tb\r\n\r\n${SMUGGLED}`, status: 400 },
  // Request line and limits.
  { name: 'request line with an extra token', input: `GET / HTTP/1.1 ${SMUGGLED}`, status: 400 },
  { name: 'two Host headers', input: `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'unsupported HTTP version', input: `GET / HTTP/1.2\r\nHost: a\r\n\r\n${SMUGGLED}`, status: 505 },
  { name: 'oversized header section', input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(70_000)}\r\n\r\n${SMUGGLED}`, status: 431 },
];

/** An upstream that records every request head it sees, completed requests, and every raw byte. */
async function startRecordingUpstream(): Promise<{
  port: number;
  heads: string[];
  completed: string[];
  raw: () => string;
  reset(): void;
  close(): Promise<void>;
}> {
  const heads: string[] = [];
  const completed: string[] = [];
  let chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    heads.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      completed.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (c: Buffer) => chunks.push(c));
  });
  server.on('clientError', (_err, s: Socket) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    heads,
    completed,
    raw: () => Buffer.concat(chunks).toString('latin1'),
    reset() {
      heads.length = 0;
      completed.length = 0;
      chunks = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('request smuggling through the proxy', () => {
  let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    up = await startRecordingUpstream();
    proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: up }' }), staticCluster('up', [up.port])));
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  /** Sends `input` on a fresh connection; checks status, close and what reached the upstream. */
  async function attack(a: Attack, input: string, expected: number[], expectCompleted: string[]): Promise<void> {
    up.reset();
    const { text, closed } = await rawExchange(port, input, { idleMs: 1500 });
    assert.deepEqual(statusCodes(text), expected, `${a.name}: ${JSON.stringify(text.slice(0, 300))}`);
    assert.ok(closed, `${a.name}: connection left open`);
    assert.match(text, /connection: close\r\n/i, `${a.name}: error response without connection: close`);
    await sleep(20); // let anything the proxy forwarded land
    assert.deepEqual(up.completed, expectCompleted, `${a.name}: completed upstream requests`);
    const allowedHeads = expectCompleted.length + (a.headForwarded ? 1 : 0);
    assert.ok(up.heads.length <= allowedHeads, `${a.name}: upstream saw ${up.heads.join(', ')}`);
    assert.ok(!up.raw().includes('/smuggled'), `${a.name}: smuggled bytes reached the upstream`);
    if (!a.headForwarded && expectCompleted.length === 0) assert.equal(up.raw(), '', `${a.name}: bytes reached the upstream`);
  }

  for (const a of ATTACKS) {
    test(`rejects ${a.name} with ${a.status}, closes, and forwards nothing`, async () => {
      await attack(a, a.input, [a.status], []);
      assert.equal((await request(port, '/still-serving')).status, 200);
    });
  }

  for (const a of ATTACKS) {
    test(`after a valid pipelined request, rejects ${a.name} and forwards only the valid one`, async () => {
      await attack(a, `GET /first HTTP/1.1\r\nHost: a\r\n\r\n${a.input}`, [200, a.status], ['GET /first']);
    });
  }

  test('the legitimate forms the attacks imitate are forwarded', async () => {
    up.reset();
    const legit = [
      `${P}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      `${P}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n`,
      `${P}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
      `${P}Transfer-Encoding: chunked\r\n\r\n3;ext="q"\r\nabc\r\n0\r\n\r\n`,
    ];
    const { text } = await rawExchange(port, legit.join(''), { idleMs: 500 });
    assert.deepEqual(statusCodes(text), [200, 200, 200, 200]);
    assert.equal(up.completed.length, 4);
  });
});
