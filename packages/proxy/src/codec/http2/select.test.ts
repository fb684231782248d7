import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H2_PREFACE, selectCodec } from './select.js';

test('selectCodec: preface → http2, other bytes → http1, a partial preface needs more', () => {
  assert.equal(selectCodec(H2_PREFACE, ''), 'http2');
  assert.equal(selectCodec(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4])]), ''), 'http2');
  assert.equal(selectCodec(H2_PREFACE.subarray(0, 10), ''), 'need-more');
  assert.equal(selectCodec(Buffer.alloc(0), ''), 'need-more');
  assert.equal(selectCodec(Buffer.from('GET / HTTP/1.1\r\n'), ''), 'http1');
  assert.equal(selectCodec(Buffer.from('PRI * HTTP/1.1\r\n'), ''), 'http1');
  assert.equal(selectCodec(Buffer.from('P'), ''), 'need-more');
});

test('selectCodec: ALPN decides when negotiated', () => {
  assert.equal(selectCodec(Buffer.from('GET'), 'h2'), 'http2');
  assert.equal(selectCodec(H2_PREFACE, 'http/1.1'), 'http1');
});
