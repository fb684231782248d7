import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Http1Parser } from './parser.js';
import { Recorder, feed, parseRequest } from './test-helpers.js';

const GET = 'GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nX-Custom-Header: Value With  Spaces\r\n\r\n';

describe('Http1Parser (requests): accepted input', () => {
  it('parses a GET head with method, target, version and lower-cased headers in order', () => {
    const rec = parseRequest(GET);
    assert.equal(rec.error, undefined);
    assert.deepEqual(rec.log, ['head GET /index.html?q=1', 'complete']);
    const head = rec.requests[0]!;
    assert.equal(head.versionMinor, 1);
    assert.deepEqual(head.headers.names, ['host', 'user-agent', 'x-custom-header']);
    assert.deepEqual(head.headers.values, ['example.com', 't/1', 'Value With  Spaces']);
    assert.equal(head.contentLength, -1);
    assert.equal(head.chunked, false);
    assert.equal(head.keepAlive, true);
    assert.equal(head.upgrade, false);
    assert.equal(head.expectContinue, false);
    assert.equal(head.headerBytes, Buffer.byteLength(GET));
  });

  it('gives the same result fed byte by byte as fed whole', () => {
    const whole = parseRequest(GET);
    const bytes = parseRequest(GET, { split: 'bytes' });
    assert.deepEqual(bytes.log, whole.log);
    assert.deepEqual(bytes.requests[0]!.headers, whole.requests[0]!.headers);
    assert.equal(bytes.requests[0]!.headerBytes, whole.requests[0]!.headerBytes);
  });

  it('parses a head split at every possible offset identically', () => {
    const input = 'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc';
    const ref = parseRequest(input);
    for (let at = 1; at < input.length; at++) {
      const rec = parseRequest(input, { split: [at] });
      assert.deepEqual(rec.normalized(), ref.normalized(), `split at ${at}`);
      assert.equal(rec.body(), 'abc');
    }
  });

  it('trims OWS around values and keeps empty values', () => {
    const rec = parseRequest('GET / HTTP/1.1\r\nHost: a\r\nX-A: \t v \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n');
    assert.deepEqual(rec.requests[0]!.headers.values, ['a', 'v', '', '']);
  });

  it('keeps obs-text bytes in values as latin1', () => {
    const rec = parseRequest(Buffer.from('GET /caf%C3%A9 HTTP/1.1\r\nHost: a\r\nX-L: \xe9t\xe9\r\n\r\n', 'latin1'));
    assert.equal(rec.requests[0]!.target, '/caf%C3%A9');
    assert.equal(rec.requests[0]!.headers.get('x-l'), '\xe9t\xe9');
  });

  it('lower-cases unknown mixed-case header names and keeps known ones interned', () => {
    const rec = parseRequest('GET / HTTP/1.1\r\nHOST: a\r\nX-My-HEADER: 1\r\ncontent-TYPE: t\r\n\r\n');
    assert.deepEqual(rec.requests[0]!.headers.names, ['host', 'x-my-header', 'content-type']);
  });

  it('accepts an extension method and absolute-form / authority-form / asterisk targets', () => {
    const rec = parseRequest(
      'PURGE http://h/x HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nM-SEARCH /a HTTP/1.1\r\nHost: h\r\n\r\n',
    );
    assert.deepEqual(rec.log, ['head PURGE http://h/x', 'complete', 'head OPTIONS *', 'complete', 'head M-SEARCH /a', 'complete']);
  });

  it('reads a Content-Length body, delivering views of the input without copying', () => {
    const input = Buffer.from('POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world');
    const { rec } = feed('request', input);
    assert.equal(rec.requests[0]!.contentLength, 11);
    assert.equal(rec.body(), 'hello world');
    assert.equal(rec.bodies[0]!.buffer, input.buffer, 'body chunk is a view of the input');
    assert.deepEqual(rec.log, ['head POST /u', 'body 11', 'complete']);
  });

  it('delivers a large body in pieces as they arrive and completes after the last byte', () => {
    const size = 1_000_000;
    const { rec, parser } = feed('request', `PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
    assert.equal(rec.completes, 0);
    let sent = 0;
    const piece = Buffer.alloc(65_536, 0x61);
    while (sent < size) {
      const n = Math.min(piece.length, size - sent);
      parser.execute(piece.subarray(0, n));
      sent += n;
      if (sent < size) assert.equal(rec.completes, 0);
    }
    assert.equal(rec.completes, 1);
    assert.equal(rec.bodies.length, Math.ceil(size / 65_536));
    assert.equal(rec.bodies.reduce((n, b) => n + b.length, 0), size);
    assert.equal(parser.idle, true);
  });

  it('treats a request without Content-Length or Transfer-Encoding as bodiless', () => {
    const rec = parseRequest('POST /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.deepEqual(rec.log, ['head POST /x', 'complete', 'head GET /y', 'complete']);
  });

  it('completes Content-Length: 0 immediately', () => {
    const rec = parseRequest('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(rec.log, ['head POST /x', 'complete']);
  });

  it('folds identical duplicate Content-Length values (repeated or listed) into one canonical entry', () => {
    const rec = parseRequest('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\nabc');
    assert.equal(rec.error, undefined);
    assert.deepEqual(rec.requests[0]!.headers.getAll('content-length'), ['3']);
    const listed = parseRequest('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc');
    assert.equal(listed.error, undefined);
    assert.equal(listed.requests[0]!.contentLength, 3);
    assert.deepEqual(listed.requests[0]!.headers.getAll('content-length'), ['3']);
  });

  it('accepts Content-Length up to 2^53 - 1', () => {
    const rec = parseRequest('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740991\r\n\r\n');
    assert.equal(rec.error, undefined);
    assert.equal(rec.requests[0]!.contentLength, Number.MAX_SAFE_INTEGER);
  });

  it('decodes a chunked body with extensions ignored and trailers delivered before completion', () => {
    const input =
      'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '6 ; a = "q\\"uoted" ; b\r\n world\r\n' +
      'A\r\n0123456789\r\n' +
      '0;last\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n';
    for (const split of ['whole', 'bytes'] as const) {
      const rec = parseRequest(input, { split });
      assert.equal(rec.error, undefined, split);
      assert.equal(rec.requests[0]!.chunked, true);
      assert.equal(rec.body(), 'hello world0123456789');
      assert.deepEqual(rec.trailers[0]!.names, ['x-checksum', 'x-other']);
      assert.deepEqual(rec.trailers[0]!.values, ['abc', 'd']);
      assert.deepEqual(rec.normalized().slice(-3), ['body 21', 'trailers 2', 'complete']);
    }
  });

  it('does not call onTrailers when a chunked body has none', () => {
    const rec = parseRequest('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.deepEqual(rec.log, ['head POST /', 'body 3', 'complete']);
  });

  it('accepts upper-case hex, leading zeros and a coding list ending in chunked', () => {
    const rec = parseRequest('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n000B\r\nhello world\r\n0\r\n\r\n');
    assert.equal(rec.error, undefined);
    assert.equal(rec.body(), 'hello world');
  });

  it('handles pipelined requests in one buffer, pausing in onMessageComplete and resuming later', () => {
    const input =
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody' +
      'POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n';
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = (e) => {
      if (e === 'complete') parser.pause();
    };
    const data = Buffer.from(input);
    parser.execute(data);
    assert.deepEqual(rec.log, ['head GET /1', 'complete']);
    assert.equal(parser.paused, true);
    assert.equal(parser.idle, false, 'bytes of the next request are kept');
    assert.ok(parser.bufferedBytes > 0);
    parser.resume();
    assert.deepEqual(rec.log.slice(2), ['head POST /2', 'body 4', 'complete']);
    assert.equal(rec.bodies[0]!.buffer, data.buffer, 'kept bytes are views, not copies');
    parser.resume();
    assert.deepEqual(rec.log.slice(5), ['head POST /3', 'body 2', 'complete']);
    parser.resume();
    assert.equal(parser.idle, true);
    assert.equal(rec.completes, 3);
  });

  it('defers onMessageComplete of a bodiless request when paused in onRequestHead', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = (e) => {
      if (e.startsWith('head')) parser.pause();
    };
    parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.deepEqual(rec.log, ['head GET /']);
    parser.resume();
    assert.deepEqual(rec.log, ['head GET /', 'complete']);
  });

  it('queues input fed while paused and processes it in order on resume', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    parser.pause();
    parser.execute(Buffer.from('GET /a HTTP/1.1\r\nHo'));
    parser.execute(Buffer.from('st: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.deepEqual(rec.log, []);
    parser.resume();
    assert.deepEqual(rec.log, ['head GET /a', 'complete', 'head GET /b', 'complete']);
  });

  it('lets a callback pause and resume within the same call without losing bytes', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = () => {
      parser.pause();
      parser.resume();
    };
    parser.execute(Buffer.from('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.deepEqual(rec.log, ['head GET /a', 'complete', 'head GET /b', 'complete']);
  });

  it('applies HTTP/1.0 defaults: no keep-alive unless asked, no Host required', () => {
    const plain = parseRequest('GET / HTTP/1.0\r\n\r\n');
    assert.equal(plain.error, undefined);
    assert.equal(plain.requests[0]!.versionMinor, 0);
    assert.equal(plain.requests[0]!.keepAlive, false);
    const ka = parseRequest('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    assert.equal(ka.requests[0]!.keepAlive, true);
  });

  it('honours Connection: close on HTTP/1.1, in any case and list position', () => {
    assert.equal(parseRequest('GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n').requests[0]!.keepAlive, false);
    assert.equal(parseRequest('GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n').requests[0]!.keepAlive, true);
  });

  it('flags Expect: 100-continue on HTTP/1.1 only', () => {
    const input = 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx';
    assert.equal(parseRequest(input).requests[0]!.expectContinue, true);
    assert.equal(parseRequest('POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n').requests[0]!.expectContinue, false);
    assert.equal(parseRequest('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue-x\r\n\r\n').requests[0]!.expectContinue, false);
  });

  it('ignores a few empty lines before a request line', () => {
    const rec = parseRequest('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.deepEqual(rec.log, ['head GET /', 'complete', 'head GET /2', 'complete']);
  });

  it('stops at an upgrade head and hands the following bytes over with takeRemainder', () => {
    const { rec, parser } = feed(
      'request',
      'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello',
    );
    assert.deepEqual(rec.log, ['head GET /ws']);
    assert.equal(rec.requests[0]!.upgrade, true);
    assert.equal(parser.upgraded, true);
    parser.execute(Buffer.from('more'));
    assert.equal(parser.takeRemainder()?.toString('latin1'), '\x81\x05hellomore');
    assert.equal(parser.takeRemainder(), undefined);
  });

  it('keeps bytes fed from inside the upgrade callback after the bytes that followed the head', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = (e) => {
      if (e.startsWith('head')) parser.execute(Buffer.from('-later'));
    };
    parser.execute(Buffer.from('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nfirst'));
    assert.equal(parser.takeRemainder()?.toString(), 'first-later');
  });

  it('parses input fed from inside a callback after the rest of the current input', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = (e) => {
      if (e === 'head GET /1') parser.execute(Buffer.from('GET /3 HTTP/1.1\r\nHost: a\r\n\r\n'));
    };
    parser.execute(Buffer.from('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.deepEqual(rec.requests.map((r) => r.target), ['/1', '/2', '/3']);
  });

  it('treats CONNECT as an upgrade and keeps the tunnel bytes', () => {
    const { rec, parser } = feed('request', 'CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n\x00\x01raw');
    assert.equal(rec.requests[0]!.upgrade, true);
    assert.equal(rec.requests[0]!.target, 'db:5432');
    assert.equal(parser.takeRemainder()?.toString('latin1'), '\x00\x01raw');
  });

  it('does not treat Upgrade without Connection: upgrade (or on HTTP/1.0) as an upgrade', () => {
    assert.equal(parseRequest('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n').requests[0]!.upgrade, false);
    assert.equal(parseRequest('GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n').requests[0]!.upgrade, false);
  });

  it('parses a declined upgrade on as an ordinary request, body and pipelined request included', () => {
    const rec = new Recorder();
    const parser = new Http1Parser('request', rec);
    rec.hook = (e) => {
      if (e === 'head POST /up') parser.declineUpgrade();
    };
    parser.execute(
      Buffer.from('POST /up HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 2\r\n\r\nokGET /n HTTP/1.1\r\nHost: a\r\n\r\n'),
    );
    assert.deepEqual(rec.log, ['head POST /up', 'body 2', 'complete', 'head GET /n', 'complete']);
    assert.equal(parser.upgraded, false);
  });

  it('can decline an upgrade after execute returned, reprocessing the kept bytes', () => {
    const { rec, parser } = feed('request', 'GET /up HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.deepEqual(rec.log, ['head GET /up']);
    parser.declineUpgrade();
    assert.deepEqual(rec.log, ['head GET /up', 'complete', 'head GET /n', 'complete']);
  });

  it('accepts a head exactly at the size limit and counts header bytes', () => {
    const base = 'GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n';
    const limit = 200;
    const input = base.replace('X: ', `X: ${'v'.repeat(limit - base.length)}`);
    assert.equal(input.length, limit);
    const rec = parseRequest(input, { limits: { maxHeaderBytes: limit } });
    assert.equal(rec.error, undefined);
    assert.equal(rec.requests[0]!.headerBytes, limit);
    assert.equal(parseRequest(input, { limits: { maxHeaderBytes: limit }, split: 'bytes' }).error, undefined);
  });

  it('accepts exactly maxHeaders fields', () => {
    let input = 'GET / HTTP/1.1\r\nHost: a\r\n';
    for (let i = 1; i < 10; i++) input += `X-${i}: v\r\n`;
    const rec = parseRequest(`${input}\r\n`, { limits: { maxHeaders: 10 } });
    assert.equal(rec.error, undefined);
    assert.equal(rec.requests[0]!.headers.size, 10);
  });

  it('reports idle only between messages', () => {
    const { parser } = feed('request', 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo');
    assert.equal(parser.idle, false);
    parser.execute(Buffer.from('st: a\r\n\r\n'));
    assert.equal(parser.idle, true);
  });

  it('treats finish() between messages as a clean close and mid-message as premature EOF', () => {
    const clean = feed('request', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { finish: true });
    assert.equal(clean.rec.error, undefined);
    assert.equal(clean.parser.dead, true);
    const midHead = feed('request', 'GET / HTTP/1.1\r\nHos', { finish: true });
    assert.equal(midHead.rec.error?.code, 'WEFT_ERR_HTTP1_PREMATURE_EOF');
    const midBody = feed('request', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab', { finish: true });
    assert.equal(midBody.rec.error?.code, 'WEFT_ERR_HTTP1_PREMATURE_EOF');
    assert.equal(midBody.rec.body(), 'ab');
  });

  it('can be reset and reused for a new connection', () => {
    const { rec, parser } = feed('request', 'GET / HTTP/1.1\r\nHost: a\r\n\r\nBAD LINE\r\n\r\n');
    assert.equal(rec.error?.code, 'WEFT_ERR_HTTP1_INVALID_TARGET');
    parser.reset();
    rec.error = undefined;
    parser.execute(Buffer.from('GET /again HTTP/1.1\r\nHost: a\r\n\r\n'));
    assert.equal(rec.requests[1]!.target, '/again');
  });

  it('ignores input after an error and reports the error once', () => {
    const { rec, parser } = feed('request', 'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n');
    assert.equal(rec.error?.status, 400);
    parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    parser.finish();
    assert.equal(rec.requests.length, 0);
    assert.equal(parser.dead, true);
  });
});
