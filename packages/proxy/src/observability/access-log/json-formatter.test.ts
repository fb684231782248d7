import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeMessage } from '@weft/api';
import type { SubstitutionFormatString__Output } from '@weft/api/envoy/envoy/config/core/v3/SubstitutionFormatString.js';
import type { FileAccessLog__Output } from '@weft/api/envoy/envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import { HeaderMap } from '../../interfaces/header-map.js';
import { StreamInfo } from '../../interfaces/stream-info.js';
import { compileFileAccessLogFormat, compileSubstitutionFormat } from './format-config.js';
import { JsonFormatter } from './json-formatter.js';

const ENV = { hostname: 'h' };

function ctx(): { info: StreamInfo; method: string; path: string } {
  const info = new StreamInfo();
  info.startTimeMs = Date.UTC(2020, 0, 2, 3, 4, 5, 6);
  info.responseCode = 503;
  info.durationMs = 12.9;
  info.bytesSent = 91;
  info.upstreamCluster = 'backend';
  info.requestHeaders = HeaderMap.from([['user-agent', 'ua']]);
  return { info, method: 'GET', path: '/x' };
}

test('typed JSON prints numeric operators as numbers, missing values as null, and nests objects', () => {
  const f = new JsonFormatter(
    {
      start: '%START_TIME%',
      code: '%RESPONSE_CODE%',
      duration: '%DURATION%',
      upstream: { cluster: '%UPSTREAM_CLUSTER%', host: '%UPSTREAM_HOST%' },
      line: '%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL%',
      literal: 'static',
      n: 5,
      flag: true,
    },
    'json_format',
    ENV,
    { typed: true },
  );
  const out = f.format(ctx());
  assert.ok(out.endsWith('}\n'));
  assert.deepEqual(JSON.parse(out), {
    start: '2020-01-02T03:04:05.006Z',
    code: 503,
    duration: 12,
    upstream: { cluster: 'backend', host: null },
    line: 'GET /x -',
    literal: 'static',
    n: 5,
    flag: true,
  });
});

test('legacy untyped JSON prints strings and - for missing values', () => {
  const f = new JsonFormatter({ code: '%RESPONSE_CODE%', host: '%UPSTREAM_HOST%' }, 'json_format', ENV, { typed: false });
  assert.deepEqual(JSON.parse(f.format(ctx())), { code: '503', host: '-' });
});

test('omit_empty_values drops null and empty keys, and objects left empty', () => {
  const f = new JsonFormatter(
    { code: '%RESPONSE_CODE%', host: '%UPSTREAM_HOST%', nested: { a: '%UPSTREAM_HOST%' }, ua: '%REQ(USER-AGENT)%' },
    'json_format',
    ENV,
    { typed: true, omitEmptyValues: true },
  );
  assert.equal(f.format(ctx()), '{"code":503,"ua":"ua"}\n');
});

test('compiles a SubstitutionFormatString with json_format (Struct), sort_properties and content_type', () => {
  const cfg = normalizeMessage<SubstitutionFormatString__Output>('envoy.config.core.v3.SubstitutionFormatString', {
    json_format: {
      fields: {
        z: { stringValue: '%BYTES_SENT%' },
        a: { structValue: { fields: { m: { stringValue: '%REQ(:METHOD)%' } } } },
      },
    },
    json_format_options: { sort_properties: true },
    content_type: 'application/json; charset=UTF-8',
  });
  const f = compileSubstitutionFormat(cfg, 'log_format', ENV);
  assert.equal(f.format(ctx()), '{"a":{"m":"GET"},"z":91}\n');
  assert.equal(f.contentType, 'application/json; charset=UTF-8');
});

test('compiles text_format_source inline_string and text_format with omit_empty_values', () => {
  const src = normalizeMessage<SubstitutionFormatString__Output>('envoy.config.core.v3.SubstitutionFormatString', {
    text_format_source: { inline_string: '%RESPONSE_CODE% %UPSTREAM_HOST%\n' },
  });
  assert.equal(compileSubstitutionFormat(src, 'log_format', ENV).format(ctx()), '503 -\n');
  const omit = normalizeMessage<SubstitutionFormatString__Output>('envoy.config.core.v3.SubstitutionFormatString', {
    text_format: '[%UPSTREAM_HOST%]',
    omit_empty_values: true,
  });
  const f = compileSubstitutionFormat(omit, 'log_format', ENV);
  assert.equal(f.format(ctx()), '[]');
  assert.equal(f.contentType, 'text/plain');
});

test('FileAccessLog legacy format, typed_json_format and the default format', () => {
  const file = (o: object): FileAccessLog__Output =>
    normalizeMessage<FileAccessLog__Output>('envoy.extensions.access_loggers.file.v3.FileAccessLog', { path: '/tmp/x', ...o });
  assert.equal(compileFileAccessLogFormat(file({ format: '%RESPONSE_CODE%' }), 'p', ENV).format(ctx()), '503');
  const typed = compileFileAccessLogFormat(file({ typed_json_format: { fields: { c: { stringValue: '%RESPONSE_CODE%' } } } }), 'p', ENV);
  assert.equal(typed.format(ctx()), '{"c":503}\n');
  const legacy = compileFileAccessLogFormat(file({ json_format: { fields: { c: { stringValue: '%RESPONSE_CODE%' } } } }), 'p', ENV);
  assert.equal(legacy.format(ctx()), '{"c":"503"}\n');
  assert.match(compileFileAccessLogFormat(file({}), 'p', ENV).format(ctx()), /^\[2020-01-02T03:04:05.006Z\] "GET \/x -" 503 - 0 91 12 /);
});

test('reports a bad operator inside json_format with the nested field path', () => {
  assert.throws(
    () => new JsonFormatter({ outer: { inner: '%BOGUS%' } }, 'log_format.json_format', ENV, { typed: true }),
    (err: unknown) => (err as { path?: string }).path === 'log_format.json_format.outer.inner',
  );
});
