import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderMap } from '../../interfaces/header-map.js';
import { sendableHeaderMap, validRequestFields, validResponseFields } from './fields.js';

const REQUEST = [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'a.example'];

function map(name: string, value: string): HeaderMap {
  const h = new HeaderMap();
  h.add('accept', '*/*');
  h.add(name, value);
  return h;
}

test('field values: NUL, CR and LF are refused wherever they sit, in short and long values; other octets pass', () => {
  for (const bad of ['\0', '\r', '\n']) {
    for (const value of [`a${bad}`, `${bad}`, `${'x'.repeat(40)}${bad}${'y'.repeat(40)}`, `${'x'.repeat(7)}${bad}`]) {
      assert.equal(sendableHeaderMap(map('x-v', value)), false, JSON.stringify(value));
      assert.equal(validResponseFields([':status', '200', 'x-v', value]), false, JSON.stringify(value));
      assert.equal(validRequestFields([...REQUEST, 'x-v', value]), false, JSON.stringify(value));
    }
  }
  for (const value of ['', 'ok', '\t tab inside \t', 'obs-text \u00ff\u0080', 'x'.repeat(500)]) {
    assert.equal(sendableHeaderMap(map('x-v', value)), true, JSON.stringify(value));
  }
  // Received values also may not start or end with whitespace.
  assert.equal(validResponseFields([':status', '200', 'x-v', ' padded']), false);
  assert.equal(validResponseFields([':status', '200', 'x-v', `${'long value '.repeat(5)}\t`]), false);
});

test('field names: lower-case tokens only, however often valid names were seen before', () => {
  for (let i = 0; i < 2000; i++) assert.equal(validResponseFields([':status', '200', `x-seen-${i}`, 'v']), true);
  for (const name of ['', 'X-Upper', 'with space', 'colon:', 'caf\u00e9', 'x-\u0100']) {
    assert.equal(validResponseFields([':status', '200', name, 'v']), false, JSON.stringify(name));
    assert.equal(validRequestFields([...REQUEST, name, 'v']), false, JSON.stringify(name));
  }
  // Outgoing maps may hold upper case (lower-cased on encoding), never non-token characters.
  assert.equal(sendableHeaderMap(map('X-Upper', 'v')), true);
  assert.equal(sendableHeaderMap(map('with space', 'v')), false);
  assert.equal(sendableHeaderMap(map('', 'v')), false);
});

test('fields the decoder checked: only the message structure is left, pseudo-headers and connection fields still refused', () => {
  assert.equal(validResponseFields([':status', '200', 'x-v', 'v'], true), true);
  assert.equal(validResponseFields([':status', '200', ':status', '204'], true), false);
  assert.equal(validResponseFields([':status', '200', ':path', '/'], true), false);
  assert.equal(validResponseFields([':status', '200', 'connection', 'close'], true), false);
  assert.equal(validResponseFields([':status', '2x0'], true), false);
  assert.equal(validRequestFields([...REQUEST, 'x-v', 'v'], true), true);
  assert.equal(validRequestFields([...REQUEST, ':path', '/again'], true), false);
  assert.equal(validRequestFields([...REQUEST, ':unknown', 'v'], true), false);
  assert.equal(validRequestFields([...REQUEST, 'te', 'gzip'], true), false);
  assert.equal(validRequestFields([...REQUEST, 'x-v', 'v', ':method', 'GET'], true), false);
});
