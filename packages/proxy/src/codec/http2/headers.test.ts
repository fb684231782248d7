import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderMap } from '../../interfaces/header-map.js';
import { encodeHeaderMap } from './fields.js';
import { decodeRawHeaders, decodeRequestHeaders, type H2RequestLine } from './headers.js';
import { HPACK_OK, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { WriteBuffer } from './write-buffer.js';
import { compileHttp2Options, DEFAULT_HTTP2_OPTIONS, streamWindow } from './options.js';

const line = (): H2RequestLine => ({ method: '', path: '', authority: '', scheme: 'http' });

test('decodeRequestHeaders: pseudo-headers to fields, :authority as the first `host`, cookie crumbs joined', () => {
  const l = line();
  const h = new HeaderMap();
  const proto = decodeRequestHeaders(
    [':method', 'POST', ':scheme', 'https', ':path', '/a?b', ':authority', 'api.example', 'cookie', 'a=1', 'x-y', '1', 'cookie', 'b=2', 'host', 'other', 'x-y', '2'],
    l,
    h,
  );
  assert.equal(proto, '');
  assert.deepEqual(l, { method: 'POST', path: '/a?b', authority: 'api.example', scheme: 'https' });
  assert.deepEqual(h.names, ['host', 'cookie', 'x-y', 'x-y']);
  assert.deepEqual(h.values, ['api.example', 'a=1; b=2', '1', '2']);
});

test('decodeRequestHeaders: without :authority the host header is the authority; :protocol is returned', () => {
  const l = line();
  const h = new HeaderMap();
  assert.equal(decodeRequestHeaders([':method', 'CONNECT', ':protocol', 'websocket', 'host', 'h.example'], l, h), 'websocket');
  assert.equal(l.authority, 'h.example');
  assert.deepEqual(h.names, ['host']);
});

test('encodeHeaderMap: duplicates kept, connection-specific fields and pseudo-headers dropped, te: trailers kept, host dropped on request', () => {
  const h = HeaderMap.from([
    [':status', '200'],
    ['set-cookie', 'a'],
    ['set-cookie', 'b'],
    ['connection', 'close'],
    ['transfer-encoding', 'chunked'],
    ['keep-alive', 'x'],
    ['upgrade', 'h2c'],
    ['te', 'trailers'],
    ['host', 'h.example'],
    ['X-Upper', '1'],
  ]);
  const encoded = (map: HeaderMap, skipHost: boolean): string[] => {
    const w = new WriteBuffer();
    const e = new HpackEncoder();
    e.beginBlock(w);
    encodeHeaderMap(e, w, map, skipHost);
    const b = (w.take() as Buffer | null) ?? Buffer.alloc(0);
    const out: string[] = [];
    assert.equal(new HpackDecoder(4096).decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
    return out;
  };
  assert.deepEqual(encoded(h, false), ['set-cookie', 'a', 'set-cookie', 'b', 'te', 'trailers', 'host', 'h.example', 'x-upper', '1']);
  assert.deepEqual(encoded(h, true), ['set-cookie', 'a', 'set-cookie', 'b', 'te', 'trailers', 'x-upper', '1']);
  assert.deepEqual(encoded(HeaderMap.from([['te', 'gzip']]), false), []);
  assert.deepEqual(decodeRawHeaders([':status', '200', 'a', '1', 'a', '2']).values, ['1', '2']);
});

test('streamWindow: the configured window, else the connection buffer limit (bounded to the legal range)', () => {
  assert.equal(streamWindow(DEFAULT_HTTP2_OPTIONS, 1024 * 1024), 1024 * 1024);
  assert.equal(streamWindow(DEFAULT_HTTP2_OPTIONS, 1000), 65535);
  const set = compileHttp2Options({ initial_stream_window_size: { value: 268435456 }, custom_settings_parameters: [] } as never, 'x');
  assert.equal(streamWindow(set, 1024 * 1024), 268435456);
});

test('never-indexed fields are re-encoded never-indexed (RFC 7541 §7.1.3), even when the encoder had indexed them before', () => {
  // What a client sent: x-secret never-indexed, x-plain indexed.
  const client = new HpackEncoder();
  const w = new WriteBuffer();
  client.encode(w, 'x-secret', 'token-1', true);
  client.encode(w, 'x-plain', 'p');
  const dec = new HpackDecoder();
  const fields: string[] = [];
  const block = w.take() as Buffer;
  assert.equal(dec.decode(block, 0, block.length, fields, 65536, 100), HPACK_OK);
  assert.deepEqual(dec.neverIndexed, ['x-secret']);
  const h = decodeRawHeaders(fields, dec.neverIndexed);
  assert.deepEqual(h.neverIndexed, ['x-secret']);
  assert.deepEqual(h.clone().neverIndexed, ['x-secret']);

  // The next hop's encoder already holds x-secret: token-1 in its dynamic table (from an unmarked message).
  const hop = new HpackEncoder();
  const hopDec = new HpackDecoder();
  const first = new WriteBuffer();
  hop.encode(first, 'x-secret', 'token-1');
  const b1 = first.take() as Buffer;
  assert.equal(hopDec.decode(b1, 0, b1.length, [], 65536, 100), HPACK_OK);
  const out = new WriteBuffer();
  encodeHeaderMap(hop, out, h);
  const b2 = out.take() as Buffer;
  assert.equal((b2[0] as number) & 0xf0, 0x10, 'a never-indexed literal, not an index into the table');
  const forwarded: string[] = [];
  assert.equal(hopDec.decode(b2, 0, b2.length, forwarded, 65536, 100), HPACK_OK);
  assert.deepEqual(forwarded, ['x-secret', 'token-1', 'x-plain', 'p']);
  assert.deepEqual(hopDec.neverIndexed, ['x-secret']);

  const l = line();
  const req = new HeaderMap();
  decodeRequestHeaders([':method', 'GET', ':authority', 'a.example', 'x-secret', 's'], l, req, [':authority', 'x-secret']);
  assert.deepEqual(req.neverIndexed, ['host', 'x-secret']);
});
