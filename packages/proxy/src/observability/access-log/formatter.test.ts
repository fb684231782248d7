import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@weft/api';
import { HeaderMap } from '../../interfaces/header-map.js';
import { ResponseFlag } from '../../interfaces/response-flags.js';
import { StreamInfo } from '../../interfaces/stream-info.js';
import type { AccessLogContext } from './context.js';
import { DEFAULT_FORMAT, TextFormatter } from './formatter.js';
import { StartTimeFormatter } from './start-time.js';

const ENV = { hostname: 'node-1' };
// 2016-04-15T20:17:00.310Z
const START = Date.UTC(2016, 3, 15, 20, 17, 0, 310);

function fullContext(): AccessLogContext {
  const info = new StreamInfo();
  info.startTimeMs = START;
  info.durationMs = 226.7;
  info.lastDownstreamRxByteMs = 1.2;
  info.firstUpstreamRxByteMs = 100.9;
  info.lastDownstreamTxByteMs = 220.5;
  info.protocol = 'HTTP/1.1';
  info.responseCode = 204;
  info.responseCodeDetails = 'via_upstream';
  info.connectionTerminationDetails = 'idle_timeout';
  info.setResponseFlag(ResponseFlag.UpstreamConnectionFailure);
  info.setResponseFlag(ResponseFlag.UpstreamRetryLimitExceeded);
  info.bytesReceived = 154;
  info.bytesSent = 7;
  info.downstreamRemoteAddress = '10.0.35.28:51000';
  info.downstreamRemotePort = 51000;
  info.downstreamLocalAddress = '[::1]:8080';
  info.downstreamLocalPort = 8080;
  info.downstreamDirectRemoteAddress = '10.0.35.1:40000';
  info.requestedServerName = 'api.example.com';
  info.connectionId = 42;
  info.upstreamCluster = 'outbound|80||locations.default.svc.cluster.local';
  info.upstreamHost = '10.0.2.1:80';
  info.upstreamLocalAddress = '10.0.0.5:33000';
  info.upstreamTransportFailureReason = 'tls_error';
  info.upstreamRequestAttemptCount = 2;
  info.routeName = 'default-route';
  info.virtualClusterName = 'vc1';
  info.requestHeaders = HeaderMap.from([
    ['x-forwarded-for', '10.0.35.28'],
    ['user-agent', 'nsq2http'],
    ['x-request-id', 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2'],
    ['x-empty', ''],
  ]);
  info.responseHeaders = HeaderMap.from([['x-envoy-upstream-service-time', '100']]);
  info.responseTrailers = HeaderMap.from([['grpc-status', '0']]);
  return { info, method: 'POST', path: '/api/v1/locations?x=1', authority: 'locations', scheme: 'http' };
}

function fmt(format: string, ctx: AccessLogContext = fullContext(), omitEmpty = false): string {
  return new TextFormatter(format, 'format', ENV, omitEmpty).format(ctx);
}

test('formats Envoy’s default line like Envoy’s documented example', () => {
  assert.equal(
    fmt(DEFAULT_FORMAT),
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations?x=1 HTTP/1.1" 204 UF,URX 154 7 226 100 "10.0.35.28" ' +
      '"nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80"\n',
  );
});

test('prints - for every value that is missing', () => {
  const ctx: AccessLogContext = { info: new StreamInfo() };
  ctx.info.startTimeMs = START;
  assert.equal(
    fmt(DEFAULT_FORMAT, ctx),
    '[2016-04-15T20:17:00.310Z] "- - -" 0 - 0 0 - - "-" "-" "-" "-" "-"\n',
  );
  const ops = [
    'RESPONSE_CODE_DETAILS', 'CONNECTION_TERMINATION_DETAILS', 'REQUEST_DURATION', 'RESPONSE_DURATION',
    'RESPONSE_TX_DURATION', 'UPSTREAM_CLUSTER', 'UPSTREAM_LOCAL_ADDRESS', 'UPSTREAM_TRANSPORT_FAILURE_REASON',
    'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_REMOTE_ADDRESS',
    'REQUESTED_SERVER_NAME', 'ROUTE_NAME', 'RESPONSE_FLAGS_LONG', 'TRAILER(GRPC-STATUS)', 'REQ(:PATH)', 'REQ(:SCHEME)',
  ];
  for (const op of ops) assert.equal(fmt(`%${op}%`, ctx), '-', op);
  assert.equal(fmt('%REQ(X)%|%DURATION%', ctx, true), '|', 'omit_empty_values prints nothing instead of -');
});

test('formats every operator from StreamInfo and the context', () => {
  const cases: Array<[string, string]> = [
    ['%RESPONSE_CODE%', '204'],
    ['%RESPONSE_CODE_DETAILS%', 'via_upstream'],
    ['%CONNECTION_TERMINATION_DETAILS%', 'idle_timeout'],
    ['%RESPONSE_FLAGS%', 'UF,URX'],
    ['%RESPONSE_FLAGS_LONG%', 'UpstreamConnectionFailure,UpstreamRetryLimitExceeded'],
    ['%BYTES_RECEIVED%', '154'],
    ['%BYTES_SENT%', '7'],
    ['%DURATION%', '226'],
    ['%REQUEST_DURATION%', '1'],
    ['%RESPONSE_DURATION%', '100'],
    ['%RESPONSE_TX_DURATION%', '119'],
    ['%UPSTREAM_HOST%', '10.0.2.1:80'],
    ['%UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.0.2.1'],
    ['%UPSTREAM_CLUSTER%', 'outbound|80||locations.default.svc.cluster.local'],
    ['%UPSTREAM_LOCAL_ADDRESS%', '10.0.0.5:33000'],
    ['%UPSTREAM_TRANSPORT_FAILURE_REASON%', 'tls_error'],
    ['%DOWNSTREAM_REMOTE_ADDRESS%', '10.0.35.28:51000'],
    ['%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.0.35.28'],
    ['%DOWNSTREAM_LOCAL_ADDRESS%', '[::1]:8080'],
    ['%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%', '::1'],
    ['%DOWNSTREAM_LOCAL_PORT%', '8080'],
    ['%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%', '10.0.35.1:40000'],
    ['%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%', '10.0.35.1'],
    ['%REQUESTED_SERVER_NAME%', 'api.example.com'],
    ['%ROUTE_NAME%', 'default-route'],
    ['%VIRTUAL_CLUSTER_NAME%', 'vc1'],
    ['%PROTOCOL%', 'HTTP/1.1'],
    ['%UPSTREAM_REQUEST_ATTEMPT_COUNT%', '2'],
    ['%HOSTNAME%', 'node-1'],
    ['%CONNECTION_ID%', '42'],
    ['%REQ(:METHOD)% %REQ(:AUTHORITY)% %REQ(:SCHEME)%', 'POST locations http'],
    ['%REQ_WITHOUT_QUERY(:PATH)%', '/api/v1/locations'],
    ['%REQ(USER-AGENT)%', 'nsq2http'],
    ['%REQ(X-MISSING?USER-AGENT)%', 'nsq2http'],
    ['%REQ(X-EMPTY)%', ''],
    ['%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', '100'],
    ['%RESP(:STATUS)%', '204'],
    ['%TRAILER(GRPC-STATUS)%', '0'],
    ['100%% sure', '100% sure'],
  ];
  for (const [format, want] of cases) assert.equal(fmt(format), want, format);
});

test('adds the port to bare addresses and brackets IPv6', () => {
  const info = new StreamInfo();
  info.downstreamRemoteAddress = '2001:db8::1';
  info.downstreamRemotePort = 443;
  info.downstreamLocalAddress = '10.0.0.1';
  info.downstreamLocalPort = 80;
  const ctx = { info };
  assert.equal(fmt('%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', ctx), '[2001:db8::1]:443 2001:db8::1');
  assert.equal(fmt('%DOWNSTREAM_LOCAL_ADDRESS%', ctx), '10.0.0.1:80');
  assert.equal(fmt('%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%', ctx), '[2001:db8::1]:443', 'falls back to the remote address');
});

test('falls back to the host header for :authority and truncates to the max length', () => {
  const info = new StreamInfo();
  info.requestHeaders = HeaderMap.from([['host', 'example.com'], ['user-agent', 'curl/8.5.0']]);
  assert.equal(fmt('%REQ(:AUTHORITY)%', { info }), 'example.com');
  assert.equal(fmt('%REQ(USER-AGENT):4%', { info }), 'curl');
  assert.equal(fmt('%REQ(X-MISSING):4%', { info }), '-');
  assert.equal(fmt('%UPSTREAM_CLUSTER:8%'), 'outbound');
});

test('formats START_TIME with strftime and Envoy’s fraction specifiers in UTC', () => {
  const cases: Array<[string, string]> = [
    ['%START_TIME%', '2016-04-15T20:17:00.310Z'],
    ['%START_TIME(%Y/%m/%dT%H:%M:%S%z)%', '2016/04/15T20:17:00+0000'],
    ['%START_TIME(%s)%', '1460751420'],
    ['%START_TIME(%s.%3f)%', '1460751420.310'],
    ['%START_TIME(%s.%6f)%', '1460751420.310000'],
    ['%START_TIME(%f)%', '310000000'],
    ['%START_TIME(%E3S)%', '00.310'],
    ['%START_TIME(%E6S)%', '00.310000'],
    ['%START_TIME(%a %b %e %T %Y %Z)%', 'Fri Apr 15 20:17:00 2016 UTC'],
    ['%START_TIME(%F %j %I%p %y)%', '2016-04-15 106 08PM 16'],
  ];
  for (const [format, want] of cases) assert.equal(fmt(format), want, format);
  const f = new StartTimeFormatter('%H:%M:%E3S');
  assert.equal(f.format(START), '20:17:00.310');
  assert.equal(f.format(START + 1), '20:17:00.311', 'the one-entry cache is keyed by the timestamp');
});

test('rejects unknown operators and malformed formats with a ConfigError naming the path', () => {
  const bad = ['%NOPE%', '%REQ%', '%REQ()%', '%REQ(A?B?C)%', '%DURATION(x)%', '50% off', '%DURATION', '%ENVIRONMENT()%'];
  for (const format of bad) {
    assert.throws(
      () => new TextFormatter(format, 'access_log[0].typed_config.format', ENV),
      (err: unknown) => err instanceof ConfigError && err.path === 'access_log[0].typed_config.format',
      format,
    );
  }
});

test('reads ENVIRONMENT at compile time', () => {
  process.env.WEFT_TEST_ACCESS_LOG_ENV = 'from-env';
  try {
    assert.equal(fmt('%ENVIRONMENT(WEFT_TEST_ACCESS_LOG_ENV)% %ENVIRONMENT(WEFT_TEST_UNSET_VAR)%'), 'from-env -');
  } finally {
    delete process.env.WEFT_TEST_ACCESS_LOG_ENV;
  }
});
