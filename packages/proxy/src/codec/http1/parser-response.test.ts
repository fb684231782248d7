import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Http1Parser } from './parser.js';
import { Recorder, feed, parseResponse } from './test-helpers.js';

describe('Http1Parser (responses)', () => {
  it('parses a status line, headers and a Content-Length body', () => {
    const rec = parseResponse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(rec.log, ['head 200', 'body 5', 'complete']);
    const head = rec.responses[0]!;
    assert.equal(head.reason, 'OK');
    assert.equal(head.versionMinor, 1);
    assert.equal(head.keepAlive, true);
    assert.equal(head.contentLength, 5);
    assert.equal(rec.body(), 'hello');
  });

  it('accepts a reason phrase with spaces and obs-text, an empty reason, and a missing SP before it', () => {
    assert.equal(parseResponse('HTTP/1.1 404 Not \xe9 Found\r\nContent-Length: 0\r\n\r\n').responses[0]!.reason, 'Not \xe9 Found');
    assert.equal(parseResponse('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n').responses[0]!.reason, '');
    const bare = parseResponse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
    assert.equal(bare.error, undefined);
    assert.equal(bare.responses[0]!.status, 200);
    assert.equal(bare.responses[0]!.reason, '');
  });

  it('reads a chunked response with trailers', () => {
    const rec = parseResponse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\ngrpc-status: 0\r\n\r\n', { split: 'bytes' });
    assert.equal(rec.body(), 'wiki');
    assert.equal(rec.trailers[0]!.get('grpc-status'), '0');
    assert.equal(rec.completes, 1);
  });

  it('reads a body without length until the connection closes, and marks it not keep-alive', () => {
    const { rec, parser } = feed('response', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ');
    assert.equal(rec.responses[0]!.keepAlive, false);
    parser.execute(Buffer.from('part two'));
    assert.equal(rec.completes, 0);
    parser.finish();
    assert.equal(rec.completes, 1);
    assert.equal(rec.body(), 'part one, part two');
    assert.equal(rec.error, undefined);
  });

  it('reads until close when the final transfer coding is not chunked', () => {
    const rec = parseResponse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8bdata', { finish: true });
    assert.equal(rec.error, undefined);
    assert.equal(rec.responses[0]!.chunked, false);
    assert.equal(rec.responses[0]!.keepAlive, false);
    assert.equal(rec.body(), '\x1f\x8bdata');
    assert.equal(rec.completes, 1);
  });

  it('has no body for 204 and 304 whatever the headers say', () => {
    const rec = parseResponse(
      'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    assert.deepEqual(rec.log, ['head 204', 'complete', 'head 304', 'complete', 'head 200', 'body 2', 'complete']);
    assert.equal(rec.responses[1]!.contentLength, 10, 'Content-Length is still reported');
  });

  it('has no body for the response to a HEAD request after expectNoBody(), then reads the next normally', () => {
    const input = 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const rec = parseResponse(input, { setup: (p) => p.expectNoBody() });
    assert.deepEqual(rec.log, ['head 200', 'complete', 'head 200', 'body 2', 'complete']);
  });

  it('delivers 1xx heads and continues with the final response, keeping expectNoBody for it', () => {
    const input =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';
    const rec = parseResponse(input, { setup: (p) => p.expectNoBody(), split: 'bytes' });
    assert.deepEqual(rec.log, ['head 100', 'head 103', 'head 200', 'complete']);
    assert.equal(rec.responses[1]!.headers.get('link'), '</s.css>');
  });

  it('switches to tunnel mode after 101 and keeps the following bytes', () => {
    const { rec, parser } = feed('response', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi');
    assert.deepEqual(rec.log, ['head 101']);
    assert.equal(rec.responses[0]!.upgrade, true);
    assert.equal(parser.takeRemainder()?.toString('latin1'), '\x81\x02hi');
  });

  it('switches to tunnel mode after a 2xx to CONNECT but reads a non-2xx normally', () => {
    const ok = feed('response', 'HTTP/1.1 200 Connection established\r\n\r\nraw', { setup: (p) => p.expectTunnel() });
    assert.equal(ok.rec.responses[0]!.upgrade, true);
    assert.equal(ok.parser.takeRemainder()?.toString(), 'raw');
    const denied = parseResponse('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno', { setup: (p) => p.expectTunnel() });
    assert.deepEqual(denied.log, ['head 403', 'body 2', 'complete']);
  });

  it('applies HTTP/1.0 keep-alive rules to responses', () => {
    assert.equal(parseResponse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').responses[0]!.keepAlive, false);
    assert.equal(parseResponse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').responses[0]!.keepAlive, true);
    assert.equal(parseResponse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').responses[0]!.keepAlive, false);
  });

  it('does not require Host in responses', () => {
    assert.equal(parseResponse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').error, undefined);
  });

  it('errors when the connection closes before a Content-Length body is complete', () => {
    const rec = parseResponse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', { finish: true });
    assert.equal(rec.error?.code, 'WEFT_ERR_HTTP1_PREMATURE_EOF');
  });

  it('completes a read-until-close body when finish() arrives while paused, on resume', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('response', rec);
    rec.hook = (e) => {
      if (e.startsWith('body')) parser.pause();
    };
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nabc'));
    parser.finish();
    assert.equal(rec.completes, 0);
    parser.resume();
    assert.equal(rec.completes, 1);
    assert.equal(parser.dead, true);
  });

  const rejects: Array<[string, string, string]> = [
    ['both Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 'WEFT_ERR_HTTP1_CONTENT_LENGTH_AND_TRANSFER_ENCODING'],
    ['differing Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n', 'WEFT_ERR_HTTP1_CONFLICTING_CONTENT_LENGTH'],
    ['chunked not final', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_TRANSFER_ENCODING'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n', 'WEFT_ERR_HTTP1_OBS_FOLD'],
    ['bare LF after the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'WEFT_ERR_HTTP1_BARE_LF'],
    ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['status below 100', 'HTTP/1.1 099 Odd\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['non-digit status', 'HTTP/1.1 2x0 OK\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['missing status', 'HTTP/1.1\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['garbage instead of a status line', '<html>hello</html>\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['control char in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n', 'WEFT_ERR_HTTP1_INVALID_STATUS_LINE'],
    ['HTTP/2.0 status line', 'HTTP/2.0 200 OK\r\n\r\n', 'WEFT_ERR_HTTP1_UNSUPPORTED_VERSION'],
    ['invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n', 'WEFT_ERR_HTTP1_INVALID_CHUNK_SIZE'],
  ];
  for (const [name, input, code] of rejects) {
    it(`rejects a response with ${name}`, () => {
      for (const split of ['whole', 'bytes'] as const) {
        assert.equal(parseResponse(input, { split }).error?.code, code, split);
      }
    });
  }

  it('rejects a response head over the size limit', () => {
    const rec = parseResponse(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(500)}\r\n\r\n`, { limits: { maxHeaderBytes: 256 } });
    assert.equal(rec.error?.code, 'WEFT_ERR_HTTP1_HEADERS_TOO_LARGE');
  });
});
