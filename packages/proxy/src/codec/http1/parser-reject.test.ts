import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Http1ErrorCode } from './errors.js';
import { parseRequest } from './test-helpers.js';

const H = 'Host: a\r\n';

interface Case {
  name: string;
  input: string;
  code: Http1ErrorCode;
  status?: number;
  limits?: { maxHeaderBytes?: number; maxHeaders?: number };
}

const many = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');

/** Every input must be rejected with exactly this code (status 400 unless given), fed whole and byte by byte. */
const CASES: Case[] = [
  // Framing conflicts.
  { name: 'both Content-Length and Transfer-Encoding', input: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_CONTENT_LENGTH_AND_TRANSFER_ENCODING' },
  { name: 'Transfer-Encoding before Content-Length', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n`, code: 'WEFT_ERR_HTTP1_CONTENT_LENGTH_AND_TRANSFER_ENCODING' },
  { name: 'duplicate Content-Length with different values', input: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, code: 'WEFT_ERR_HTTP1_CONFLICTING_CONTENT_LENGTH' },
  { name: 'Content-Length list with different values', input: `POST / HTTP/1.1\r\n${H}Content-Length: 3, 4\r\n\r\n`, code: 'WEFT_ERR_HTTP1_CONFLICTING_CONTENT_LENGTH' },
  { name: 'Content-Length with a plus sign', input: `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'negative Content-Length', input: `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length with a space inside', input: `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'non-digit Content-Length', input: `POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'empty Content-Length', input: `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length with a trailing comma', input: `POST / HTTP/1.1\r\n${H}Content-Length: 3,\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length beyond 2^53 - 1', input: `POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740992\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'Content-Length far beyond 2^64', input: `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999999\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CONTENT_LENGTH' },
  { name: 'Transfer-Encoding: gzip alone (unknown final coding)', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, code: 'WEFT_ERR_HTTP1_UNSUPPORTED_TRANSFER_ENCODING', status: 501 },
  { name: 'Transfer-Encoding: xchunked', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, code: 'WEFT_ERR_HTTP1_UNSUPPORTED_TRANSFER_ENCODING', status: 501 },
  { name: 'Transfer-Encoding: chunked, gzip (chunked not final)', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'chunked then a second Transfer-Encoding header', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'chunked applied twice', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'chunked with a parameter', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'empty Transfer-Encoding', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'Transfer-Encoding with a non-token coding', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: "chunked"\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING' },
  { name: 'Transfer-Encoding in an HTTP/1.0 request', input: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', code: 'WEFT_ERR_HTTP1_TRANSFER_ENCODING_IN_HTTP10' },
  // Field syntax.
  { name: 'obs-fold continuation line', input: `GET / HTTP/1.1\r\n${H}X-A: b\r\n  c\r\n\r\n`, code: 'WEFT_ERR_HTTP1_OBS_FOLD' },
  { name: 'obs-fold with HTAB', input: `GET / HTTP/1.1\r\n${H}X-A: b\r\n\tc\r\n\r\n`, code: 'WEFT_ERR_HTTP1_OBS_FOLD' },
  { name: 'whitespace before the first field line', input: `GET / HTTP/1.1\r\n ${H}\r\n`, code: 'WEFT_ERR_HTTP1_OBS_FOLD' },
  { name: 'space between field name and colon', input: `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_WHITESPACE_BEFORE_COLON' },
  { name: 'tab between field name and colon', input: `GET / HTTP/1.1\r\n${H}X-A\t: b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_WHITESPACE_BEFORE_COLON' },
  { name: 'empty field name', input: `GET / HTTP/1.1\r\n${H}: b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_NAME' },
  { name: 'field line without colon', input: `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_NAME' },
  { name: 'invalid token char in name', input: `GET / HTTP/1.1\r\n${H}X(A): b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_NAME' },
  { name: 'non-ASCII byte in name', input: `GET / HTTP/1.1\r\n${H}X-\xe9: b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_NAME' },
  { name: 'NUL in a field value', input: `GET / HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE' },
  { name: 'DEL in a field value', input: `GET / HTTP/1.1\r\n${H}X-A: b\x7f\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE' },
  { name: 'vertical tab in a field value', input: `GET / HTTP/1.1\r\n${H}X-A: b\x0bc\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE' },
  { name: 'bare CR inside a field value', input: `GET / HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_CR' },
  { name: 'bare LF ending a field line', input: `GET / HTTP/1.1\r\n${H}X-A: b\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'bare LF ending the head', input: `GET / HTTP/1.1\r\n${H}\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'bare LF ending the request line', input: `GET / HTTP/1.1\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'bare LF as a leading empty line', input: `\nGET / HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'bare CR ending the head', input: `GET / HTTP/1.1\r\n${H}\rX`, code: 'WEFT_ERR_HTTP1_BARE_CR' },
  { name: 'missing Host on HTTP/1.1', input: 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n', code: 'WEFT_ERR_HTTP1_MISSING_HOST' },
  { name: 'two Host headers', input: `GET / HTTP/1.1\r\n${H}Host: b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_MULTIPLE_HOST' },
  { name: 'two identical Host headers', input: `GET / HTTP/1.1\r\n${H}${H}\r\n`, code: 'WEFT_ERR_HTTP1_MULTIPLE_HOST' },
  // Chunked framing.
  { name: 'non-hex chunk size', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE' },
  { name: 'empty chunk size', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE' },
  { name: 'chunk size with a sign', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE' },
  { name: 'chunk size with 0x prefix', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE' },
  { name: 'chunk size overflowing 2^53', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${'f'.repeat(17)}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE' },
  { name: 'chunk size with trailing whitespace and no extension', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION' },
  { name: 'bare LF after the chunk size', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'bare CR after the chunk size', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_CR' },
  { name: 'chunk data longer than its size', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_END' },
  { name: 'chunk data followed by bare LF', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'chunk data followed by CR and a non-LF', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_CR' },
  { name: 'chunk extension with a control char', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION' },
  { name: 'chunk extension with an empty name', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;=v\r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION' },
  { name: 'chunk extension with an unterminated quoted value', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a="v\r\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION' },
  { name: 'chunk extension with bare LF', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b\nabc\r\n0\r\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  { name: 'endless chunk extension', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=${'b'.repeat(5000)}`, code: 'WEFT_ERR_HTTP1_INVALID_CHUNK_EXTENSION' },
  { name: 'trailer with obs-fold', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n`, code: 'WEFT_ERR_HTTP1_OBS_FOLD' },
  { name: 'trailer with bare LF', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\n\r\n`, code: 'WEFT_ERR_HTTP1_BARE_LF' },
  // Request line.
  { name: 'two spaces after the method', input: `GET  / HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TARGET' },
  { name: 'two spaces before the version', input: `GET /  HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'tab as separator', input: `GET\t/ HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_METHOD' },
  { name: 'leading space before the method', input: ` GET / HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_METHOD' },
  { name: 'method with a non-token char', input: `GE@T / HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_METHOD' },
  { name: 'HTTP/0.9 style request line', input: 'GET /\r\n\r\n', code: 'WEFT_ERR_HTTP1_INVALID_TARGET' },
  { name: 'space inside the target', input: `GET /a b HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'control char in the target', input: `GET /a\x01b HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TARGET' },
  { name: 'raw non-ASCII byte in the target', input: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TARGET' },
  { name: 'DEL in the target', input: `GET /a\x7f HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_TARGET' },
  { name: 'lower-case protocol name', input: `GET / http/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'version with two minor digits', input: `GET / HTTP/1.10\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'version without a minor', input: `GET / HTTP/1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'trailing space after the version', input: `GET / HTTP/1.1 \r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_INVALID_VERSION' },
  { name: 'HTTP/2.0 request line', input: `GET / HTTP/2.0\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION', status: 505 },
  { name: 'HTTP/1.2 request line', input: `GET / HTTP/1.2\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION', status: 505 },
  { name: 'HTTP/0.9 version token', input: `GET / HTTP/0.9\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION', status: 505 },
  { name: 'too many empty lines before the request line', input: `${'\r\n'.repeat(9)}GET / HTTP/1.1\r\n${H}\r\n`, code: 'WEFT_ERR_HTTP1_TOO_MANY_EMPTY_LINES' },
  // Limits.
  { name: 'head larger than maxHeaderBytes', input: `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(300)}\r\n\r\n`, code: 'WEFT_ERR_HTTP1_HEADERS_TOO_LARGE', status: 431, limits: { maxHeaderBytes: 256 } },
  { name: 'head one byte over maxHeaderBytes', input: `GET / HTTP/1.1\r\n${H}X: ${'a'.repeat(256 - 32 + 1)}\r\n\r\n`, code: 'WEFT_ERR_HTTP1_HEADERS_TOO_LARGE', status: 431, limits: { maxHeaderBytes: 256 } },
  { name: 'endless request line', input: `GET /${'a'.repeat(70_000)}`, code: 'WEFT_ERR_HTTP1_HEADERS_TOO_LARGE', status: 431 },
  { name: 'more fields than maxHeaders', input: `GET / HTTP/1.1\r\n${H}${many(100)}\r\n`, code: 'WEFT_ERR_HTTP1_TOO_MANY_HEADERS', status: 431 },
  { name: 'more trailer fields than maxHeaders', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n${many(11)}\r\n`, code: 'WEFT_ERR_HTTP1_TOO_MANY_HEADERS', status: 431, limits: { maxHeaders: 10 } },
  { name: 'trailer section larger than maxHeaderBytes', input: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'a'.repeat(300)}\r\n\r\n`, code: 'WEFT_ERR_HTTP1_HEADERS_TOO_LARGE', status: 431, limits: { maxHeaderBytes: 256 } },
];

describe('Http1Parser (requests): rejected input', () => {
  it('covers each case once', () => {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  });

  for (const c of CASES) {
    it(`rejects ${c.name} with ${c.status ?? 400}`, () => {
      for (const split of ['whole', 'bytes'] as const) {
        const rec = parseRequest(c.input, { split, ...(c.limits ? { limits: c.limits } : {}) });
        assert.equal(rec.error?.code, c.code, `${split}: ${rec.log.join(' | ')}`);
        assert.equal(rec.error.status, c.status ?? 400);
        assert.equal(rec.completes, 0, 'no message completes');
      }
    });
  }

  it('rejects a head over the limit before the whole head has arrived', () => {
    const rec = parseRequest(`GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(1000)}`, { limits: { maxHeaderBytes: 512 } });
    assert.equal(rec.error?.status, 431);
  });

  it('counts the default limit at 60 KiB', () => {
    const fits = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(60 * 1024 - 100)}\r\n\r\n`;
    assert.equal(parseRequest(fits).error, undefined);
    const over = `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(60 * 1024)}\r\n\r\n`;
    assert.equal(parseRequest(over).error?.status, 431);
  });
});

describe('Http1Parser: field value bytes at every position of the four-byte scan', () => {
  const value = (bytes: number[]): Buffer => Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nX-V: ', 'latin1'), Buffer.from(bytes), Buffer.from('\r\n\r\n', 'latin1')]);
  const plain = (n: number): number[] => Array.from({ length: n }, (_, i) => 0x61 + (i % 26));

  it('rejects a CTL (other than HTAB) or DEL wherever it sits, whole and split', () => {
    const bad: Array<[number, string]> = [
      [0x00, 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE'],
      [0x01, 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE'],
      [0x0b, 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE'],
      [0x1f, 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE'],
      [0x7f, 'WEFT_ERR_HTTP1_INVALID_HEADER_VALUE'],
      [0x0a, 'WEFT_ERR_HTTP1_BARE_LF'],
    ];
    for (const [byte, code] of bad) {
      for (let at = 0; at < 9; at++) {
        const bytes = plain(9);
        bytes[at] = byte;
        for (const split of ['whole', 'bytes'] as const) {
          const rec = parseRequest(value(bytes), { split });
          assert.equal(rec.error?.code, code, `byte 0x${byte.toString(16)} at ${at} (${split}): ${rec.log.join(' | ')}`);
        }
      }
    }
  });

  it('rejects a bare CR inside a value wherever it sits', () => {
    for (let at = 0; at < 8; at++) {
      const bytes = plain(9);
      bytes[at] = 0x0d;
      const rec = parseRequest(value(bytes));
      assert.equal(rec.error?.code, 'WEFT_ERR_HTTP1_BARE_CR', `CR at ${at}`);
    }
  });

  it('keeps HTAB, SP and obs-text inside a value and trims OWS at its end, at every length and position', () => {
    for (const inner of [0x09, 0x20, 0x80, 0xff]) {
      for (let len = 1; len <= 9; len++) {
        for (let at = 0; at < len; at++) {
          const bytes = plain(len);
          // A value starts with a non-OWS byte (leading OWS is not part of it).
          if (at > 0 || (inner !== 0x09 && inner !== 0x20)) bytes[at] = inner;
          const withOws = [...bytes, 0x20, 0x09, 0x20];
          const rec = parseRequest(value(withOws));
          assert.equal(rec.error, undefined, `0x${inner.toString(16)} at ${at} of ${len}`);
          let end = bytes.length;
          while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
          assert.equal(rec.requests[0]?.headers.get('x-v'), Buffer.from(bytes.slice(0, end)).toString('latin1'), `0x${inner.toString(16)} at ${at} of ${len}`);
        }
      }
    }
  });
});
