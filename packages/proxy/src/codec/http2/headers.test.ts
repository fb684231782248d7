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
