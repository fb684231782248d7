import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, normalizeMessage } from '@weft/api';
import type { AccessLog__Output } from '@weft/api/envoy/envoy/config/accesslog/v3/AccessLog.js';
import { HeaderMap } from '../../interfaces/header-map.js';
import { ResponseFlag } from '../../interfaces/response-flags.js';
import type { Runtime } from '../../interfaces/runtime.js';
import { StreamInfo } from '../../interfaces/stream-info.js';
import { createAccessLoggers } from './access-log-factory.js';
import type { AccessLogContext } from './context.js';
import { SinkRegistry } from './file-sink.js';

const FILE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const STDOUT = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';

function accessLog(o: object): AccessLog__Output {
  return normalizeMessage<AccessLog__Output>('envoy.config.accesslog.v3.AccessLog', o);
}

function setup(t: { after(fn: () => void): void }): { dir: string; sinks: SinkRegistry } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-al-'));
  const sinks = new SinkRegistry({ flushIntervalMs: 60_000 });
  t.after(() => {
    sinks.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, sinks };
}

function request(code: number, durationMs = 5, flags = 0, headers: Array<[string, string]> = []): AccessLogContext {
  const info = new StreamInfo();
  info.responseCode = code;
  info.durationMs = durationMs;
  info.responseFlags = flags;
  info.requestHeaders = HeaderMap.from(headers);
  return { info, method: 'GET', path: `/r${code}` };
}

/** Logs each request through a filtered file logger and returns which were logged. */
function logged(t: { after(fn: () => void): void }, filter: object, reqs: AccessLogContext[], runtime?: Runtime): string[] {
  const { dir, sinks } = setup(t);
  const file = path.join(dir, 'a.log');
  const [logger] = createAccessLoggers(
    [accessLog({ name: 'f', filter, typed_config: { '@type': FILE, path: file, format: '%REQ(:PATH)%\n' } })],
    'access_log',
    runtime === undefined ? { sinks } : { sinks, runtime },
  );
  for (const r of reqs) logger?.log(r);
  sinks.flushAll();
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

test('writes formatted lines to a file logger and shares the file between loggers', (t) => {
  const { dir, sinks } = setup(t);
  const file = path.join(dir, 'access.log');
  const loggers = createAccessLoggers(
    [
      accessLog({ name: 'a', typed_config: { '@type': FILE, path: file, log_format: { text_format: 'A %RESPONSE_CODE%\n' } } }),
      accessLog({ name: 'b', typed_config: { '@type': FILE, path: file, format: 'B %REQ(:METHOD)%\n' } }),
    ],
    'access_log',
    { sinks, hostname: 'h' },
  );
  for (const l of loggers) l.log(request(200));
  sinks.flushAll();
  assert.equal(fs.readFileSync(file, 'utf8'), 'A 200\nB GET\n');
});

test('stdout logger writes through process.stdout', (t) => {
  const { sinks } = setup(t);
  const [logger] = createAccessLoggers(
    [accessLog({ name: 's', typed_config: { '@type': STDOUT, log_format: { text_format: 'OUT %RESPONSE_CODE%\n' } } })],
    'access_log',
    { sinks },
  );
  const seen: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    seen.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    logger?.log(request(201));
    sinks.flushAll();
  } finally {
    process.stdout.write = original;
  }
  assert.deepEqual(seen, ['OUT 201\n']);
});

test('status_code_filter compares with the runtime override when one is set', (t) => {
  const filter = { status_code_filter: { comparison: { op: 'GE', value: { default_value: 400, runtime_key: 'log.min_status' } } } };
  const reqs = [request(200), request(404), request(503)];
  assert.deepEqual(logged(t, filter, reqs), ['/r404', '/r503']);
  const runtime: Runtime = {
    getNumber: (key, def) => (key === 'log.min_status' ? 500 : def),
    getBoolean: (_k, d) => d,
    featureEnabled: () => true,
  };
  assert.deepEqual(logged(t, filter, reqs, runtime), ['/r503']);
  const eq = { status_code_filter: { comparison: { op: 'EQ', value: { default_value: 200 } } } };
  assert.deepEqual(logged(t, eq, reqs), ['/r200']);
});

test('duration_filter logs only slow requests', (t) => {
  const filter = { duration_filter: { comparison: { op: 'GE', value: { default_value: 100 } } } };
  assert.deepEqual(logged(t, filter, [request(200, 99.9), request(201, 100), request(202, 250)]), ['/r201', '/r202']);
});

test('response_flag_filter matches listed flags, or any flag when none are listed', (t) => {
  const reqs = [request(200), request(503, 1, ResponseFlag.UpstreamConnectionFailure), request(504, 1, ResponseFlag.UpstreamRequestTimeout)];
  assert.deepEqual(logged(t, { response_flag_filter: { flags: ['UT', 'NR'] } }, reqs), ['/r504']);
  assert.deepEqual(logged(t, { response_flag_filter: {} }, reqs), ['/r503', '/r504']);
});

test('and_filter and or_filter combine filters', (t) => {
  const status = { status_code_filter: { comparison: { op: 'GE', value: { default_value: 500 } } } };
  const slow = { duration_filter: { comparison: { op: 'GE', value: { default_value: 100 } } } };
  const reqs = [request(200, 500), request(503, 1), request(504, 300)];
  assert.deepEqual(logged(t, { and_filter: { filters: [status, slow] } }, reqs), ['/r504']);
  assert.deepEqual(logged(t, { or_filter: { filters: [status, slow] } }, reqs), ['/r200', '/r503', '/r504']);
});

test('header_filter matches request headers', (t) => {
  const reqs = [request(200, 1, 0, [['x-debug', 'yes']]), request(201, 1, 0, [['x-debug', 'no']]), request(202)];
  assert.deepEqual(logged(t, { header_filter: { header: { name: 'X-Debug', exact_match: 'yes' } } }, reqs), ['/r200']);
  assert.deepEqual(logged(t, { header_filter: { header: { name: 'x-debug', present_match: true } } }, reqs), ['/r200', '/r201']);
  assert.deepEqual(
    logged(t, { header_filter: { header: { name: 'x-debug', string_match: { prefix: 'N', ignore_case: true }, invert_match: true } } }, reqs),
    ['/r200', '/r202'],
  );
});

test('runtime_filter samples by the configured percentage', (t) => {
  const reqs = Array.from({ length: 20 }, (_, i) => request(200 + i, 1, 0, [['x-request-id', `id-${i}`]]));
  assert.equal(logged(t, { runtime_filter: { runtime_key: 'k', percent_sampled: { numerator: 100 } } }, reqs).length, 20);
  assert.equal(logged(t, { runtime_filter: { runtime_key: 'k', percent_sampled: { numerator: 0 } } }, reqs).length, 0);
});

test('grpc_status_filter reads grpc-status or maps the HTTP status', (t) => {
  const ok = request(200);
  ok.info.responseTrailers = HeaderMap.from([['grpc-status', '0']]);
  const unavailable = request(503);
  const reqs = [ok, unavailable];
  assert.deepEqual(logged(t, { grpc_status_filter: { statuses: ['UNAVAILABLE'] } }, reqs), ['/r503']);
  assert.deepEqual(logged(t, { grpc_status_filter: { statuses: ['UNAVAILABLE'], exclude: true } }, reqs), ['/r200']);
});

test('rejects unsupported filters, unknown flags and unknown logger types with the field path', () => {
  const cases: Array<[object, string]> = [
    [{ filter: { not_health_check_filter: {} }, typed_config: { '@type': STDOUT } }, 'access_log[0].filter.not_health_check_filter'],
    [{ filter: { response_flag_filter: { flags: ['UF', 'XX'] } }, typed_config: { '@type': STDOUT } }, 'access_log[0].filter.response_flag_filter.flags[1]'],
    [{ filter: { and_filter: { filters: [{ traceable_filter: {} }, { traceable_filter: {} }] } }, typed_config: { '@type': STDOUT } }, 'access_log[0].filter.and_filter.filters[0].traceable_filter'],
    [{ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig' } }, 'access_log[0].typed_config'],
    [{ typed_config: { '@type': FILE, path: '' } }, 'access_log[0].typed_config.path'],
    [{ typed_config: { '@type': FILE, path: '/nonexistent-dir-weft/a.log' } }, 'access_log[0].typed_config.path'],
    [{ typed_config: { '@type': STDOUT, log_format: { text_format: '%WHAT%' } } }, 'access_log[0].typed_config.log_format.text_format'],
  ];
  const sinks = new SinkRegistry();
  try {
    for (const [cfg, wantPath] of cases) {
      let thrown: unknown;
      try {
        createAccessLoggers([accessLog({ name: 'x', ...cfg })], 'access_log', { sinks });
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof ConfigError, `expected ConfigError for ${JSON.stringify(cfg)}`);
      assert.equal(thrown.path, wantPath);
    }
    let missing: unknown;
    try {
      createAccessLoggers([accessLog({ name: 'x' })], 'access_log', { sinks });
    } catch (err) {
      missing = err;
    }
    assert.ok(missing instanceof ConfigError && missing.path === 'access_log[0].typed_config');
  } finally {
    sinks.closeAll();
  }
});
