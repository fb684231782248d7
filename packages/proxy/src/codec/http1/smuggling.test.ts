/**
 * Request-smuggling and robustness suite. Each attack hides a second request (`/smuggled`) in bytes that a lenient
 * or differently-lenient parser would read as a new message. The parser must reject the message with the given
 * status, and must never surface the smuggled request — fed whole, byte by byte, or after a valid request.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from './test-helpers.js';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
const P = 'POST / HTTP/1.1\r\nHost: a\r\n';

interface Attack {
  name: string;
  input: string;
  status: number;
  /** Heads legitimately surfaced before the error (e.g. the request whose chunked body is malformed). */
  heads?: number;
}

const ATTACKS: Attack[] = [
  // CL.TE / TE.CL: both framing headers.
  { name: 'CL.TE classic', input: `${P}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE.CL classic', input: `${P}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n24\r\n${SMUGGLED}\r\n0\r\n\r\n`, status: 400 },
  { name: 'CL.TE with TE: xchunked', input: `${P}Content-Length: 40\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL.TE with TE after a tab', input: `${P}Content-Length: 5\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL.TE with TE trailing spaces', input: `${P}Content-Length: 5\r\nTransfer-Encoding: chunked   \r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL.TE with identity, chunked', input: `${P}Content-Length: 5\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL.TE with lower-case names', input: `${P}content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  // TE.TE: obfuscated Transfer-Encoding one hop may ignore.
  { name: 'TE with space before colon', input: `${P}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE with tab before colon', input: `${P}Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE: xchunked alone', input: `${P}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 501 },
  { name: 'TE: chunk (truncated)', input: `${P}Transfer-Encoding: chunk\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 501 },
  { name: 'TE quoted', input: `${P}Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE chunked then identity header', input: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'double TE chunked', input: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE chunked, identity list', input: `${P}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE with vertical tab', input: `${P}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE with NUL', input: `${P}Transfer-Encoding: chunked\x00\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE name with NUL', input: `${P}Transfer-Encoding\x00: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE behind obs-fold', input: `${P}X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE as folded value', input: `${P}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE line starting with space', input: `${P} Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE in HTTP/1.0', input: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'TE with bare-CR line end', input: `${P}Transfer-Encoding: chunked\rX: y\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  // Content-Length obfuscation.
  { name: 'CL with plus', input: `${P}Content-Length: +37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL negative', input: `${P}Content-Length: -1\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL hex', input: `${P}Content-Length: 0x25\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL decimal point', input: `${P}Content-Length: 37.0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL exponent', input: `${P}Content-Length: 3e1\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL with inner space', input: `${P}Content-Length: 3 7\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL duplicate differing', input: `${P}Content-Length: 0\r\nContent-Length: 37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL duplicate differing by case of name', input: `${P}Content-Length: 37\r\ncontent-length: 0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL list differing', input: `${P}Content-Length: 0, 37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL with NUL', input: `${P}Content-Length: 0\x00\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL with full-width digit', input: `${P}Content-Length: \xef\xbc\x90\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL overflow wrapping to 0 in 64 bits', input: `${P}Content-Length: 18446744073709551616\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL behind obs-fold', input: `${P}X-Pad: a\r\n Content-Length: 37\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'CL with space before colon', input: `${P}Content-Length : 37\r\n\r\n${SMUGGLED}`, status: 400 },
  // Chunked body framing.
  { name: 'chunk size with 0x prefix', input: `${P}Transfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'chunk size negative', input: `${P}Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'chunk size overflow to 0 in 64 bits', input: `${P}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'chunk size with trailing space', input: `${P}Transfer-Encoding: chunked\r\n\r\n0 \r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'last chunk with bare LFs', input: `${P}Transfer-Encoding: chunked\r\n\r\n0\n\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'chunk data without CRLF', input: `${P}Transfer-Encoding: chunked\r\n\r\n3\r\nabc${SMUGGLED}0\r\n\r\n`, status: 400, heads: 1 },
  { name: 'chunk data longer than declared', input: `${P}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'chunk extension hiding CRLF in quotes', input: `${P}Transfer-Encoding: chunked\r\n\r\n0;a="\r\n\r\n${SMUGGLED}"\r\n\r\n`, status: 400, heads: 1 },
  { name: 'chunk extension with bare LF', input: `${P}Transfer-Encoding: chunked\r\n\r\n0;a\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'trailer section ended by bare LF', input: `${P}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n\n${SMUGGLED}`, status: 400, heads: 1 },
  { name: 'trailer with bare CR', input: `${P}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\rb\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
  // Line-ending and request-line games.
  { name: 'bare LF line endings throughout', input: `GET / HTTP/1.1\nHost: a\n\n${SMUGGLED}`, status: 400 },
  { name: 'header value with bare CR', input: `GET / HTTP/1.1\r\nHost: a\r\nX: a\r${SMUGGLED}`, status: 400 },
  { name: 'header value with bare LF', input: `GET / HTTP/1.1\r\nHost: a\r\nX: a\n${SMUGGLED}`, status: 400 },
  { name: 'request line with extra token', input: `GET / HTTP/1.1 ${SMUGGLED}`, status: 400 },
  { name: 'HTTP/0.9 request line', input: `GET /\r\n${SMUGGLED}`, status: 400 },
  { name: 'NUL in the target', input: `GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'two Host headers', input: `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'missing Host', input: `GET / HTTP/1.1\r\nX: a\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'unsupported version', input: `GET / HTTP/1.2\r\nHost: a\r\n\r\n${SMUGGLED}`, status: 505 },
  // Resource exhaustion.
  { name: 'oversized header', input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(70_000)}\r\n\r\n${SMUGGLED}`, status: 431 },
  { name: 'too many headers', input: `GET / HTTP/1.1\r\nHost: a\r\n${'X: a\r\n'.repeat(150)}\r\n${SMUGGLED}`, status: 431 },
  { name: 'endless chunk extension', input: `${P}Transfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(5000)}\r\nx\r\n0\r\n\r\n${SMUGGLED}`, status: 400, heads: 1 },
];

function assertNotSmuggled(name: string, input: string, status: number, heads: number, split: 'whole' | 'bytes'): void {
  const rec = parseRequest(input, { split });
  assert.equal(rec.error?.status, status, `${name} (${split}): ${rec.log.join(' | ')}`);
  assert.equal(rec.requests.length, heads, `${name} (${split}): heads surfaced`);
  assert.ok(
    rec.requests.every((r) => r.target !== '/smuggled'),
    `${name} (${split}): smuggled request surfaced`,
  );
  assert.ok(!rec.body().includes('/smuggled') || heads > 0, `${name} (${split}): smuggled bytes became a body`);
}

describe('HTTP/1 request smuggling', () => {
  for (const a of ATTACKS) {
    it(`rejects ${a.name} with ${a.status} and never surfaces the smuggled request`, () => {
      assertNotSmuggled(a.name, a.input, a.status, a.heads ?? 0, 'whole');
      if (a.input.length < 10_000) assertNotSmuggled(a.name, a.input, a.status, a.heads ?? 0, 'bytes');
      // Behind a valid pipelined request: that one completes, then the attack is rejected the same way.
      const rec = parseRequest(`GET /first HTTP/1.1\r\nHost: a\r\n\r\n${a.input}`);
      assert.equal(rec.requests[0]?.target, '/first');
      assert.equal(rec.completes, 1);
      assert.equal(rec.error?.status, a.status);
      assert.ok(rec.requests.every((r) => r.target !== '/smuggled'));
    });
  }

  it('accepts the legitimate forms the attacks imitate (so the rejections are specific)', () => {
    const legit = [
      `${P}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n`,
      `${P}Transfer-Encoding: chunked   \r\n\r\n0\r\n\r\n`,
      `${P}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`,
      `${P}Content-Length: 035\r\n\r\n${SMUGGLED}`,
      `${P}Transfer-Encoding: chunked\r\n\r\n0;a="\\"q"\r\n\r\n`,
    ];
    for (const input of legit) {
      const rec = parseRequest(input);
      assert.equal(rec.error, undefined, input);
      assert.equal(rec.completes, 1, input);
      assert.ok(rec.requests.every((r) => r.target !== '/smuggled'), input);
    }
  });

  it('keeps bytes after an upgrade head out of the parser', () => {
    const rec = parseRequest(`GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n${SMUGGLED}`);
    assert.deepEqual(rec.log, ['head GET /ws']);
  });

  it('treats Content-Length in trailers as an ordinary trailer, not as framing', () => {
    const rec = parseRequest(`${P}Transfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 37\r\n\r\n${SMUGGLED}`);
    assert.equal(rec.error, undefined);
    assert.equal(rec.trailers[0]?.get('content-length'), '37');
    // The bytes after the message are simply the next request, parsed on its own.
    assert.deepEqual(rec.requests.map((r) => r.target), ['/', '/smuggled']);
  });
});
