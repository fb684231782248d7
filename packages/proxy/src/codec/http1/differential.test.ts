/**
 * Differential test against Node's own HTTP parser (llhttp, default strict mode — not insecureHTTPParser). Each raw
 * request is sent to a `node:http` server over loopback and fed to our parser; the accept/reject decisions (and, when
 * both accept, the number of requests seen) must agree, except for the cases in EXPECTED_DIFFERENCES where Weft is
 * deliberately different (each with its reason).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRequest } from './test-helpers.js';

const H = 'Host: a\r\n';
const P = `POST / HTTP/1.1\r\n${H}`;
const CH = `${P}Transfer-Encoding: chunked\r\n\r\n`;
const SMUGGLED = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;

/** [name, raw bytes (latin1)] — valid requests first, then malformed and malicious ones. */
const CASES: Array<[string, string]> = [
  ['simple GET', `GET / HTTP/1.1\r\n${H}\r\n`],
  ['GET with typical browser headers', `GET /a/b?c=d&e=f HTTP/1.1\r\n${H}User-Agent: Mozilla/5.0 (X11)\r\nAccept: text/html,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nCookie: a=b; c=d\r\n\r\n`],
  ['POST with Content-Length body', `${P}Content-Length: 5\r\n\r\nhello`],
  ['POST with Content-Length: 0', `${P}Content-Length: 0\r\n\r\n`],
  ['Content-Length with leading zeros', `${P}Content-Length: 005\r\n\r\nhello`],
  ['chunked body', `${CH}5\r\nhello\r\n0\r\n\r\n`],
  ['chunked with upper-case hex and leading zeros', `${CH}000A\r\n0123456789\r\n0\r\n\r\n`],
  ['chunked with extensions', `${CH}5;a=b;c\r\nhello\r\n0;last\r\n\r\n`],
  ['chunked with a quoted extension value', `${CH}5;a="x y"\r\nhello\r\n0\r\n\r\n`],
  ['chunked with trailers', `${CH}5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n`],
  ['Transfer-Encoding: Chunked (case)', `${P}Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding after a tab', `${P}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding with trailing spaces', `${P}Transfer-Encoding: chunked  \r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding: gzip, chunked', `${P}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ['three pipelined requests', `GET /1 HTTP/1.1\r\n${H}\r\n${P}Content-Length: 3\r\n\r\nabc${CH}1\r\nx\r\n0\r\n\r\n`],
  ['HTTP/1.0 without Host', 'GET / HTTP/1.0\r\n\r\n'],
  ['HTTP/1.0 keep-alive, pipelined', 'GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n'],
  ['HTTP/1.0 POST with Content-Length', 'POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nok'],
  ['OPTIONS *', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ['absolute-form target', `GET http://a/path?q HTTP/1.1\r\n${H}\r\n`],
  ['HEAD request', `HEAD / HTTP/1.1\r\n${H}\r\n`],
  ['extension method', `PURGE /cache HTTP/1.1\r\n${H}\r\n`],
  ['Expect: 100-continue with body', `${P}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok`],
  ['one leading empty line', `\r\nGET / HTTP/1.1\r\n${H}\r\n`],
  ['obs-text in a header value', `GET / HTTP/1.1\r\n${H}X-L: caf\xe9\r\n\r\n`],
  ['empty header value', `GET / HTTP/1.1\r\n${H}X-Empty:\r\n\r\n`],
  ['tabs inside a header value', `GET / HTTP/1.1\r\n${H}X-T: a\tb \t c\r\n\r\n`],
  ['mixed-case header names', `GET / HTTP/1.1\r\nhOsT: a\r\nX-MiXeD: v\r\n\r\n`],
  ['10 KB header value', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(10_000)}\r\n\r\n`],
  ['Connection: close', `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`],
  ['websocket upgrade', `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`],
  ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n'],
  ['UTF-8 bytes in the target', `GET /caf\xc3\xa9 HTTP/1.1\r\n${H}\r\n`],
  ['header name with underscore', `GET / HTTP/1.1\r\n${H}X_Under: v\r\n\r\n`],
  // Framing conflicts and smuggling classics.
  ['CL.TE', `${P}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`],
  ['TE.CL', `${P}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`],
  ['CL.TE with xchunked', `${P}Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['TE: xchunked alone', `${P}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['TE: gzip alone', `${P}Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n`],
  ['TE: chunked, gzip', `${P}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`],
  ['TE with space before colon', `${P}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['TE chunked twice in two headers', `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['TE chunked then identity header', `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`],
  ['TE: chunked;q=1', `${P}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`],
  ['TE quoted', `${P}Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n`],
  ['TE with vertical tab', `${P}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`],
  ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['TE hidden by obs-fold', `${P}X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['CL duplicate, differing', `${P}Content-Length: 3\r\nContent-Length: 5\r\n\r\nhello`],
  ['CL duplicate, identical', `${P}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`],
  ['CL list of identical values', `${P}Content-Length: 5, 5\r\n\r\nhello`],
  ['CL with plus', `${P}Content-Length: +5\r\n\r\nhello`],
  ['CL negative', `${P}Content-Length: -5\r\n\r\n`],
  ['CL with inner space', `${P}Content-Length: 1 0\r\n\r\n`],
  ['CL hex', `${P}Content-Length: 0x5\r\n\r\nhello`],
  ['CL empty', `${P}Content-Length:\r\n\r\n`],
  ['CL overflow', `${P}Content-Length: 18446744073709551617\r\n\r\n`],
  ['CL with NUL', `${P}Content-Length: 5\x00\r\n\r\nhello`],
  // Field syntax.
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`],
  ['space before colon', `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`],
  ['tab before colon', `GET / HTTP/1.1\r\n${H}X-A\t: b\r\n\r\n`],
  ['empty header name', `GET / HTTP/1.1\r\n${H}: b\r\n\r\n`],
  ['header line without colon', `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`],
  ['invalid char in header name', `GET / HTTP/1.1\r\n${H}X(A): b\r\n\r\n`],
  ['non-ASCII header name', `GET / HTTP/1.1\r\n${H}X-\xe9: b\r\n\r\n`],
  ['NUL in header value', `GET / HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n`],
  ['DEL in header value', `GET / HTTP/1.1\r\n${H}X-A: b\x7f\r\n\r\n`],
  ['vertical tab in header value', `GET / HTTP/1.1\r\n${H}X-A: b\x0bc\r\n\r\n`],
  ['bare CR in header value', `GET / HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n`],
  ['bare LF ending a header line', `GET / HTTP/1.1\r\n${H}X-A: b\n\r\n`],
  ['bare LF ending the head', `GET / HTTP/1.1\r\n${H}\n`],
  ['bare LF ending the request line', `GET / HTTP/1.1\n${H}\r\n`],
  ['bare LF everywhere', 'GET / HTTP/1.1\nHost: a\n\n'],
  ['missing Host', 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n'],
  ['two Host headers', `GET / HTTP/1.1\r\n${H}Host: b\r\n\r\n`],
  // Chunked framing.
  ['chunk size non-hex', `${CH}zz\r\nhello\r\n0\r\n\r\n`],
  ['chunk size empty', `${CH}\r\nhello\r\n0\r\n\r\n`],
  ['chunk size with plus', `${CH}+5\r\nhello\r\n0\r\n\r\n`],
  ['chunk size with 0x', `${CH}0x5\r\nhello\r\n0\r\n\r\n`],
  ['chunk size overflow', `${CH}${'f'.repeat(17)}\r\nhello\r\n0\r\n\r\n`],
  ['chunk size with trailing space', `${CH}5 \r\nhello\r\n0\r\n\r\n`],
  ['chunk size ended by bare LF', `${CH}5\nhello\r\n0\r\n\r\n`],
  ['chunk data longer than size', `${CH}3\r\nhello\r\n0\r\n\r\n`],
  ['chunk data ended by bare LF', `${CH}5\r\nhello\n0\r\n\r\n`],
  ['chunk data ended by CR only', `${CH}5\r\nhello\r0\r\n\r\n`],
  ['last chunk with bare LFs', `${CH}0\n\n`],
  ['chunk extension with control char', `${CH}5;a\x01\r\nhello\r\n0\r\n\r\n`],
  ['chunk extension with empty name', `${CH}5;=v\r\nhello\r\n0\r\n\r\n`],
  ['chunk extension quoted with CR', `${CH}5;a="b\rc"\r\nhello\r\n0\r\n\r\n`],
  ['trailer with obs-fold', `${CH}0\r\nX-T: a\r\n b\r\n\r\n`],
  ['trailer with bare LF', `${CH}0\r\nX-T: a\n\r\n`],
  // Request line.
  ['two spaces after method', `GET  / HTTP/1.1\r\n${H}\r\n`],
  ['two spaces before version', `GET /  HTTP/1.1\r\n${H}\r\n`],
  ['tab as separator', `GET\t/ HTTP/1.1\r\n${H}\r\n`],
  ['leading space', ` GET / HTTP/1.1\r\n${H}\r\n`],
  ['invalid char in method', `GE@T / HTTP/1.1\r\n${H}\r\n`],
  ['lower-case method', `get / HTTP/1.1\r\n${H}\r\n`],
  ['HTTP/0.9 request', 'GET /\r\n\r\n'],
  ['space inside target', `GET /a b HTTP/1.1\r\n${H}\r\n`],
  ['control char in target', `GET /a\x01b HTTP/1.1\r\n${H}\r\n`],
  ['DEL in target', `GET /a\x7f HTTP/1.1\r\n${H}\r\n`],
  ['lower-case http', `GET / http/1.1\r\n${H}\r\n`],
  ['HTTP/1.10', `GET / HTTP/1.10\r\n${H}\r\n`],
  ['HTTP/1 without minor', `GET / HTTP/1\r\n${H}\r\n`],
  ['trailing space after version', `GET / HTTP/1.1 \r\n${H}\r\n`],
  ['HTTP/2.0 request line', `GET / HTTP/2.0\r\n${H}\r\n`],
  ['HTTP/1.2 request line', `GET / HTTP/1.2\r\n${H}\r\n`],
  ['HTTP/3.0 request line', `GET / HTTP/3.0\r\n${H}\r\n`],
  ['nine leading empty lines', `${'\r\n'.repeat(9)}GET / HTTP/1.1\r\n${H}\r\n`],
  ['request line with extra token', `GET / HTTP/1.1 ${SMUGGLED}`],
  // Limits.
  ['70 KB header', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
  ['101 header fields', `GET / HTTP/1.1\r\n${H}${'X-A: b\r\n'.repeat(100)}\r\n`],
  ['incomplete request at close', `GET / HTTP/1.1\r\n${H}`],
  ['incomplete body at close', `${P}Content-Length: 10\r\n\r\nhello`],
];

/**
 * Where Weft deliberately differs from Node's llhttp: `weft` is our decision, and the comment says why.
 */
const EXPECTED_DIFFERENCES: Record<string, { weft: 'accept' | 'reject'; why: string }> = {
  'CL duplicate, identical': { weft: 'accept', why: 'RFC 9110 §8.6 allows identical values; Envoy folds them too. No ambiguity: we forward one canonical value.' },
  'CL list of identical values': { weft: 'accept', why: 'same as above: "5, 5" is one length, folded to "5".' },
  'TE in HTTP/1.0': { weft: 'reject', why: 'RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding must be treated as faulty framing; llhttp reads it as chunked.' },
  'chunk extension with empty name': { weft: 'reject', why: 'RFC 9112 §7.1.1: chunk-ext-name is a token (non-empty); llhttp skips it.' },
  'two spaces after method': { weft: 'reject', why: 'request line must be exactly method SP target SP version (Weft rule, as Envoy); llhttp collapses spaces.' },
  'two spaces before version': { weft: 'reject', why: 'same rule: exactly one SP between the parts.' },
  'lower-case method': { weft: 'accept', why: 'RFC 9110 §9.1: methods are extensible case-sensitive tokens; llhttp only knows a fixed list.' },
  'HTTP/0.9 request': { weft: 'reject', why: 'HTTP/0.9 is not supported (no version, no headers); llhttp still accepts it.' },
  'HTTP/2.0 request line': { weft: 'reject', why: 'only HTTP/1.0 and 1.1 are spoken on this codec: 505; llhttp accepts a "2.0" request line.' },
  'two Host headers': { weft: 'reject', why: 'Envoy rejects multiple Host; a proxy and its upstream could route on different ones.' },
  '101 header fields': { weft: 'reject', why: 'Envoy max_headers_count default 100 (431); Node only limits header bytes.' },
  'nine leading empty lines': { weft: 'reject', why: 'RFC 9112 §2.2 asks to ignore at least one empty line; we allow 8, then call it garbage.' },
};

interface Seen {
  requests: number;
  clientError: string | undefined;
}

let server: http.Server;
let port = 0;
/** Server-side observations for the connection of the case in flight (cases run one at a time). */
let seen: Seen = { requests: 0, clientError: undefined };

function respondRaw(socket: net.Socket, statusLine: string): void {
  seen.requests++;
  socket.end(`HTTP/1.1 ${statusLine}\r\n\r\n`);
}

before(async () => {
  server = http.createServer({ maxHeaderSize: 60 * 1024 }, (req, res) => {
    seen.requests++;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    seen.clientError = err.code ?? err.message;
    socket.destroy();
  });
  server.on('upgrade', (_req, socket: net.Socket) => respondRaw(socket, '101 Switching Protocols'));
  server.on('connect', (_req, socket: net.Socket) => respondRaw(socket, '200 Connection Established'));
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends the bytes, half-closes, and waits for the server to close the connection. */
async function nodeDecision(raw: string): Promise<{ decision: 'accept' | 'reject'; requests: number; detail: string }> {
  seen = { requests: 0, clientError: undefined };
  const socket = net.connect(port, '127.0.0.1');
  let response = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (response += d));
  socket.on('error', () => {}); // a reset after a rejection is an answer too
  socket.end(Buffer.from(raw, 'latin1'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node server did not close for ${JSON.stringify(raw.slice(0, 60))}`)), 3000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  // The server socket may report its error right after the client saw the close.
  await new Promise((resolve) => setImmediate(resolve));
  const statuses = [...response.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => m[1]).join(',');
  const rejected = seen.clientError !== undefined || /HTTP\/1\.[01] (4|5)\d\d/.test(response);
  return { decision: rejected ? 'reject' : 'accept', requests: seen.requests, detail: `${seen.clientError ?? ''} [${statuses}]` };
}

function weftDecision(raw: string): { decision: 'accept' | 'reject'; requests: number; detail: string } {
  const rec = parseRequest(raw, { finish: true });
  return { decision: rec.error ? 'reject' : 'accept', requests: rec.requests.length, detail: rec.error?.code ?? '' };
}

describe('differential: Weft HTTP/1 parser vs Node llhttp', () => {
  it('has 80+ distinct cases and only documented differences', () => {
    assert.ok(CASES.length >= 80, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c[0])).size, CASES.length);
    for (const name of Object.keys(EXPECTED_DIFFERENCES)) assert.ok(CASES.some((c) => c[0] === name), `unknown difference ${name}`);
  });

  it('agrees with llhttp on every case except the expected differences', async () => {
    const mismatches: string[] = [];
    let differences = 0;
    for (const [name, raw] of CASES) {
      const node = await nodeDecision(raw);
      const weft = weftDecision(raw);
      const expected = EXPECTED_DIFFERENCES[name];
      if (expected !== undefined) {
        differences++;
        if (weft.decision !== expected.weft || node.decision === expected.weft) {
          mismatches.push(`${name}: expected difference no longer holds (weft ${weft.decision} ${weft.detail}, node ${node.decision} ${node.detail})`);
        }
        continue;
      }
      if (weft.decision !== node.decision) {
        mismatches.push(`${name}: weft ${weft.decision} ${weft.detail} / node ${node.decision} ${node.detail}`);
      } else if (weft.decision === 'accept' && weft.requests !== node.requests) {
        mismatches.push(`${name}: both accept but weft saw ${weft.requests} requests, node ${node.requests}`);
      }
    }
    assert.deepEqual(mismatches, []);
    console.log(`differential: ${CASES.length} cases, ${differences} expected differences, ${CASES.length - differences} agreeing`);
  });
});
