import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMap } from '../../interfaces/header-map.js';
import {
  encoderCharClassesAgree,
  CHUNK_END,
  HOP_BY_HOP,
  Http1EncodeError,
  encodeChunkHeader,
  encodeLastChunk,
  encodeRequestHead,
  encodeResponseHead,
  frameRequest,
  frameResponse,
  reasonPhrase,
  removeHopByHop,
} from './encoder.js';
import { parseRequest, parseResponse } from './test-helpers.js';

const hm = (...pairs: Array<[string, string]>): HeaderMap => {
  const m = new HeaderMap();
  for (const [k, v] of pairs) m.add(k, v);
  return m;
};

describe('HTTP/1 encoder', () => {
  it('validates outgoing names and values with exactly the parser\'s character classes', () => {
    assert.equal(encoderCharClassesAgree(), true);
  });

  it('encodes a request head with lower-case names in order', () => {
    const s = encodeRequestHead('POST', '/a?b=c', hm(['host', 'h'], ['content-length', '2'], ['x-a', '1'], ['x-a', '2']));
    assert.equal(s, 'POST /a?b=c HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\nx-a: 1\r\nx-a: 2\r\n\r\n');
  });

  it('encodes a response head with the standard reason phrase, a given one, or Unknown', () => {
    assert.equal(encodeResponseHead(404, undefined, hm(['content-length', '0'])), 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    assert.equal(encodeResponseHead(200, 'Fine', new HeaderMap(), 0), 'HTTP/1.0 200 Fine\r\n\r\n');
    assert.equal(encodeResponseHead(299, undefined, new HeaderMap()), 'HTTP/1.1 299 Unknown\r\n\r\n');
    assert.equal(reasonPhrase(503), 'Service Unavailable');
  });

  it('round-trips heads through the parser, obs-text included', () => {
    const headers = hm(['host', 'example.com'], ['x-latin', 'caf\xe9'], ['x-empty', '']);
    const req = parseRequest(encodeRequestHead('GET', '/caf%C3%A9', headers));
    assert.equal(req.error, undefined);
    assert.deepEqual(req.requests[0]!.headers, headers);
    assert.equal(req.requests[0]!.target, '/caf%C3%A9');
    const res = parseResponse(`${encodeResponseHead(201, undefined, hm(['content-length', '0']))}`);
    assert.equal(res.responses[0]!.reason, 'Created');
  });

  it('refuses header values, names, methods and targets that would break the framing', () => {
    assert.throws(() => encodeRequestHead('GET', '/', hm(['x', 'a\r\nInjected: 1'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/', hm(['x', 'a\nb'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/', hm(['x', 'a\x00'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/', hm(['x', 'snow\u2603'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/', hm(['bad name', 'v'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/', hm(['', 'v'])), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GE T', '/', new HeaderMap()), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/a b', new HeaderMap()), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '', new HeaderMap()), Http1EncodeError);
    assert.throws(() => encodeRequestHead('GET', '/caf\xe9', new HeaderMap()), Http1EncodeError);
    assert.throws(() => encodeResponseHead(200, 'OK\r\nX: y', new HeaderMap()), Http1EncodeError);
    assert.throws(() => encodeResponseHead(42, undefined, new HeaderMap()), Http1EncodeError);
    assert.throws(
      () => encodeRequestHead('GET', '/', hm(['x', '\r'])),
      (err: unknown) => err instanceof Http1EncodeError && err.code === 'WEFT_ERR_HTTP1_INVALID_OUTGOING_HEADER',
    );
  });

  it('frames chunks that the parser reads back, trailers included', () => {
    const body = encodeChunkHeader(5) + 'hello' + CHUNK_END + encodeChunkHeader(300) + 'x'.repeat(300) + CHUNK_END;
    assert.equal(encodeChunkHeader(300), '12c\r\n');
    assert.equal(encodeLastChunk(), '0\r\n\r\n');
    assert.equal(encodeLastChunk(new HeaderMap()), '0\r\n\r\n');
    const last = encodeLastChunk(hm(['grpc-status', '0'], ['grpc-message', 'ok']));
    assert.equal(last, '0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n');
    const rec = parseRequest(`POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n${body}${last}`);
    assert.equal(rec.body(), 'hello' + 'x'.repeat(300));
    assert.equal(rec.trailers[0]!.get('grpc-message'), 'ok');
  });
});

describe('HTTP/1 body framing helpers', () => {
  it('keeps a known Content-Length for requests and drops incoming Transfer-Encoding', () => {
    const h = hm(['content-length', '5'], ['transfer-encoding', 'chunked']);
    assert.equal(frameRequest('POST', h, false), 'length');
    assert.deepEqual(h.names, ['content-length']);
  });

  it('sends a streamed request body of unknown length chunked', () => {
    const h = hm(['host', 'a']);
    assert.equal(frameRequest('POST', h, false), 'chunked');
    assert.equal(h.get('transfer-encoding'), 'chunked');
  });

  it('adds content-length: 0 to a bodiless POST/PUT/PATCH but not to GET', () => {
    const post = hm();
    assert.equal(frameRequest('POST', post, true), 'none');
    assert.equal(post.get('content-length'), '0');
    const get = hm();
    assert.equal(frameRequest('GET', get, true), 'none');
    assert.equal(get.size, 0);
  });

  it('sends no body framing for CONNECT', () => {
    const h = hm(['content-length', '3']);
    assert.equal(frameRequest('CONNECT', h, false), 'none');
    assert.equal(h.size, 0);
  });

  it('never gives 1xx, 204 or a 2xx to CONNECT a body or framing headers', () => {
    for (const [status, method] of [[100, 'GET'], [101, 'GET'], [204, 'GET'], [200, 'CONNECT']] as const) {
      const h = hm(['content-length', '3'], ['transfer-encoding', 'chunked']);
      assert.equal(frameResponse(status, method, h, false), 'none', `${status} ${method}`);
      assert.equal(h.size, 0);
    }
  });

  it('keeps Content-Length but sends no body for 304 and HEAD', () => {
    for (const [status, method] of [[304, 'GET'], [200, 'HEAD']] as const) {
      const h = hm(['content-length', '30']);
      assert.equal(frameResponse(status, method, h, false), 'none');
      assert.equal(h.get('content-length'), '30');
    }
  });

  it('frames other responses by length, empty length, chunked (HTTP/1.1) or close (HTTP/1.0)', () => {
    assert.equal(frameResponse(200, 'GET', hm(['content-length', '4']), false), 'length');
    const empty = hm();
    assert.equal(frameResponse(200, 'GET', empty, true), 'none');
    assert.equal(empty.get('content-length'), '0');
    const chunked = hm();
    assert.equal(frameResponse(200, 'GET', chunked, false), 'chunked');
    assert.equal(chunked.get('transfer-encoding'), 'chunked');
    const old = hm();
    assert.equal(frameResponse(200, 'GET', old, false, 0), 'close');
    assert.equal(old.size, 0);
  });
});

describe('hop-by-hop header removal', () => {
  it('lists the connection-specific headers', () => {
    assert.deepEqual([...HOP_BY_HOP].sort(), ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade']);
  });

  it('removes hop-by-hop headers and those nominated by Connection, keeping the rest in order', () => {
    const h = hm(
      ['host', 'a'],
      ['connection', 'keep-alive, X-Secret , x-other;q=1'],
      ['keep-alive', 'timeout=5'],
      ['x-secret', 's'],
      ['proxy-connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'h2c'],
      ['x-other', 'o'],
      ['x-keep', 'k'],
    );
    removeHopByHop(h);
    assert.deepEqual(h.names, ['host', 'x-keep']);
  });

  it('reduces te to trailers when offered and drops it otherwise', () => {
    const grpc = hm(['te', 'gzip, Trailers']);
    removeHopByHop(grpc);
    assert.deepEqual([...grpc.names], ['te']);
    assert.equal(grpc.get('te'), 'trailers');
    const plain = hm(['te', 'gzip']);
    removeHopByHop(plain);
    assert.equal(plain.size, 0);
  });

  it('keeps upgrade with connection: upgrade when asked', () => {
    const h = hm(['connection', 'Upgrade, x-gone'], ['upgrade', 'websocket'], ['x-gone', '1'], ['sec-websocket-key', 'k']);
    removeHopByHop(h, { keepUpgrade: true });
    assert.deepEqual(h.names, ['upgrade', 'sec-websocket-key', 'connection']);
    assert.equal(h.get('connection'), 'upgrade');
  });

  it('removes a nominated header that comes before the Connection header', () => {
    const h = hm(['x-early', 'e'], ['host', 'a'], ['x-keep', 'k'], ['connection', 'x-early']);
    removeHopByHop(h);
    assert.deepEqual(h.names, ['host', 'x-keep']);
    assert.deepEqual(h.values, ['a', 'k']);
  });

  it('leaves headers without hop-by-hop fields untouched and removes late ones in place', () => {
    const none = hm(['host', 'a'], ['tee', '1'], ['upgrades', '2'], ['x-connection', '3']);
    removeHopByHop(none);
    assert.deepEqual(none.names, ['host', 'tee', 'upgrades', 'x-connection']);
    const late = hm(['host', 'a'], ['x-b', 'b'], ['connection', 'keep-alive'], ['x-c', 'c'], ['keep-alive', 't=1']);
    removeHopByHop(late);
    assert.deepEqual(late.names, ['host', 'x-b', 'x-c']);
    assert.deepEqual(late.values, ['a', 'b', 'c']);
  });

  it('never lets a Connection option remove host', () => {
    const h = hm(['host', 'a'], ['connection', 'host']);
    removeHopByHop(h);
    assert.deepEqual(h.names, ['host']);
  });
});
