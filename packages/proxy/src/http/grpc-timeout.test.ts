import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGrpcTimeout } from './grpc-timeout.js';
import { encodeGrpcMessage } from './local-reply.js';

test('parseGrpcTimeout: every unit, in milliseconds', () => {
  assert.equal(parseGrpcTimeout('2H'), 7_200_000);
  assert.equal(parseGrpcTimeout('3M'), 180_000);
  assert.equal(parseGrpcTimeout('10S'), 10_000);
  assert.equal(parseGrpcTimeout('250m'), 250);
  assert.equal(parseGrpcTimeout('1500u'), 2);
  assert.equal(parseGrpcTimeout('1000u'), 1);
  assert.equal(parseGrpcTimeout('1n'), 1);
  assert.equal(parseGrpcTimeout('0m'), 0);
  assert.equal(parseGrpcTimeout('99999999S'), 99_999_999_000);
});

test('parseGrpcTimeout: malformed values are ignored', () => {
  for (const bad of [undefined, '', 'S', '10', '10s', '10 S', '-1S', '123456789S', '1.5S', 'abcS']) {
    assert.equal(parseGrpcTimeout(bad), undefined, String(bad));
  }
});

test('encodeGrpcMessage: printable ASCII as is; %, controls and non-ASCII percent-encoded', () => {
  assert.equal(encodeGrpcMessage('upstream connect error: a/b, c'), 'upstream connect error: a/b, c');
  assert.equal(encodeGrpcMessage('100% done\n'), '100%25 done%0A');
  assert.equal(encodeGrpcMessage('é'), '%C3%A9');
});
