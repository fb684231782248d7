import assert from 'node:assert/strict';
import type http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { freePort, request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

type Step = 'ok' | number | 'reset' | { delayMs: number } | { grpc: number };

/** An upstream that answers each request with the next scripted step ('ok' once the script runs out). */
function scripted(name: string): { steps: Step[]; start(): Promise<TestUpstream> } {
  const steps: Step[] = [];
  return {
    steps,
    start: () =>
      startUpstream(name, (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
        const step = steps.shift() ?? 'ok';
        if (step === 'reset') {
          req.socket.destroy();
          return;
        }
        if (typeof step === 'number') {
          res.writeHead(step, { 'content-length': '4' });
          res.end('fail');
          return;
        }
        if (step !== 'ok' && 'grpc' in step) {
          res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': String(step.grpc), 'content-length': '0' });
          res.end();
          return;
        }
        const answer = (): void => {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
          res.end(`ok ${name} ${body.toString('utf8')}`);
        };
        if (step !== 'ok') setTimeout(answer, step.delayMs);
        else answer();
      }),
  };
}

describe('retries, per-try timeouts and circuit breakers (router)', () => {
  let dir: string;
  let logFile: string;
  const a = scripted('a');
  const b = scripted('b');
  let upA: TestUpstream;
  let upB: TestUpstream;
  let proxy: TestProxy;
  let port: number;
  let admin: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-retries-'));
    logFile = path.join(dir, 'access.log');
    upA = await a.start();
    upB = await b.start();
    const closed = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          hcmExtra: `access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS%\\n" } }`,
          vhostExtra: 'include_request_attempt_count: true\ninclude_attempt_count_in_response: true',
          routes: `
- match: { prefix: "/5xx" }
  route: { cluster: a, retry_policy: { retry_on: 5xx, num_retries: 2, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/gw" }
  route: { cluster: a, retry_policy: { retry_on: gateway-error, num_retries: 2, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/codes" }
  route: { cluster: a, retry_policy: { retry_on: retriable-status-codes, retriable_status_codes: [418], retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/grpc" }
  route: { cluster: a, retry_policy: { retry_on: "unavailable", num_retries: 1, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/reset" }
  route: { cluster: a, retry_policy: { retry_on: reset, num_retries: 1, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/pertry" }
  route: { cluster: a, timeout: 6s, retry_policy: { retry_on: 5xx, num_retries: 1, per_try_timeout: 0.1s, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/global" }
  route: { cluster: a, timeout: 0.3s, retry_policy: { retry_on: 5xx, num_retries: 10, per_try_timeout: 0.1s, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/failover" }
  route:
    cluster: half
    retry_policy:
      retry_on: connect-failure
      num_retries: 3
      retry_back_off: { base_interval: 0.001s }
      retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate } }]
      host_selection_retry_max_attempts: 5
- match: { prefix: "/noretrybudget" }
  route: { cluster: tight, retry_policy: { retry_on: 5xx, num_retries: 3, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/budget" }
  route: { cluster: budget, retry_policy: { retry_on: 5xx, num_retries: 3, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/rbr-probe" }
  route: { cluster: rbr }
- match: { prefix: "/rbr" }
  route: { cluster: rbr, retry_policy: { retry_on: "reset-before-request,retriable-status-codes", retriable_status_codes: [418], num_retries: 2, retry_back_off: { base_interval: 0.001s } } }
- match: { prefix: "/plain" }
  route: { cluster: a }
- match: { prefix: "/limited" }
  route: { cluster: tight }`,
        }),
        staticCluster('a', [upA.port]) +
          staticCluster('half', [closed, upB.port]) +
          staticCluster('rbr', [upA.port, closed]) +
          staticCluster('budget', [upB.port], '    circuit_breakers: { thresholds: [{ retry_budget: { budget_percent: { value: 0 }, min_retry_concurrency: 0 } }] }') +
          staticCluster(
            'tight',
            [upB.port],
            '    circuit_breakers: { thresholds: [{ max_retries: 0, max_requests: 1, max_pending_requests: 1, max_connections: 1, track_remaining: true }] }',
          ),
      ),
    );
    port = proxy.port('http');
    admin = proxy.adminPort;
  });

  after(async () => {
    await proxy.close();
    await upA.close();
    await upB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    a.steps.length = 0;
    b.steps.length = 0;
  });

  const stat = (name: string): Promise<number> => adminStat(admin, name);

  function lastLog(): string {
    flushAllAccessLogs();
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? '';
  }

  test('retries a 503 twice, then returns the third answer; attempt count goes up and back', async () => {
    a.steps.push(503, 503);
    const before = upA.requests.length;
    const retries = await stat('cluster.a.upstream_rq_retry');
    const success = await stat('cluster.a.upstream_rq_retry_success');
    const res = await request(port, '/5xx/x');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-envoy-attempt-count'], '3');
    assert.equal(upA.requests.length - before, 3);
    assert.deepEqual(upA.requests.slice(-3).map((r) => r.headers['x-envoy-attempt-count']), ['1', '2', '3']);
    assert.equal((await stat('cluster.a.upstream_rq_retry')) - retries, 2);
    assert.equal((await stat('cluster.a.upstream_rq_retry_success')) - success, 1);
    assert.equal(lastLog(), '/5xx/x 200 -');
  });

  test('gives up after num_retries and forwards the last failure with URX', async () => {
    a.steps.push(503, 503, 503, 503);
    const before = upA.requests.length;
    const exceeded = await stat('cluster.a.upstream_rq_retry_limit_exceeded');
    const res = await request(port, '/5xx/y');
    assert.equal(res.status, 503);
    assert.equal(res.body, 'fail');
    assert.equal(upA.requests.length - before, 3);
    assert.equal((await stat('cluster.a.upstream_rq_retry_limit_exceeded')) - exceeded, 1);
    assert.equal(lastLog(), '/5xx/y 503 URX');
  });

  test('gateway-error retries 502-504 only: a 500 is returned at once', async () => {
    a.steps.push(500);
    const before = upA.requests.length;
    assert.equal((await request(port, '/gw')).status, 500);
    assert.equal(upA.requests.length - before, 1);
    a.steps.push(502, 504);
    assert.equal((await request(port, '/gw')).status, 200);
  });

  test('retriable-status-codes retries the listed code, and x-envoy-retriable-status-codes adds codes', async () => {
    a.steps.push(418);
    assert.equal((await request(port, '/codes')).status, 200);
    a.steps.push(429);
    assert.equal((await request(port, '/codes')).status, 429);
    a.steps.push(429);
    assert.equal((await request(port, '/codes', { headers: { 'x-envoy-retriable-status-codes': '429', 'x-forwarded-for': '10.1.2.3' } })).status, 200);
  });

  test('x-envoy-retry-on and x-envoy-max-retries enable retries on a route without a policy', async () => {
    a.steps.push(503, 503);
    const before = upA.requests.length;
    const res = await request(port, '/plain', { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2', 'x-forwarded-for': '10.1.2.3' } });
    assert.equal(res.status, 200);
    assert.equal(upA.requests.length - before, 3);
    a.steps.push(503);
    assert.equal((await request(port, '/plain')).status, 503, 'no policy, no header: no retry');
  });

  test('gRPC retry_on unavailable retries a trailers-only grpc-status 14', async () => {
    a.steps.push({ grpc: 14 });
    const before = upA.requests.length;
    const res = await request(port, '/grpc', { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['grpc-status'], undefined);
    assert.equal(upA.requests.length - before, 2);
    a.steps.push({ grpc: 13 });
    assert.equal((await request(port, '/grpc', { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: 'x' })).headers['grpc-status'], '13');
  });

  test('an upstream reset is retried with the request body replayed', async () => {
    a.steps.push('reset');
    const before = upA.requests.length;
    const res = await request(port, '/reset', { method: 'POST', body: 'payload-123' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok a payload-123');
    assert.equal(upA.requests.length - before, 2);
    assert.equal(upA.requests[upA.requests.length - 1]?.body.toString(), 'payload-123');
  });

  test('a per-try timeout abandons the slow attempt and the retry answers', async () => {
    a.steps.push({ delayMs: 3000 });
    const timeouts = await stat('cluster.a.upstream_rq_per_try_timeout');
    const started = Date.now();
    const res = await request(port, '/pertry');
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 2500, 'answered by the retry, not the slow attempt');
    assert.equal((await stat('cluster.a.upstream_rq_per_try_timeout')) - timeouts, 1);
    assert.equal(upA.requests.at(-1)?.headers['x-envoy-expected-rq-timeout-ms'], '100');
  });

  test('the global timeout bounds all attempts: 504 UT', async () => {
    a.steps.push({ delayMs: 500 }, { delayMs: 500 }, { delayMs: 500 }, { delayMs: 500 }, { delayMs: 500 });
    const res = await request(port, '/global');
    assert.equal(res.status, 504);
    assert.equal(res.body, 'upstream request timeout');
    assert.equal(lastLog(), '/global 504 UT');
  });

  test('connect failures fail over to another host (previous_hosts predicate)', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await request(port, '/failover');
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(res.headers['x-upstream'], 'b');
    }
  });

  test('reset-before-request: once an attempt sent bytes, a later attempt failing before sending is not retried (sticky, as Envoy)', async () => {
    // Round robin over [a, closed port] from a random start: probe (no retry policy) until the closed port was
    // picked, so the request's first attempt goes to `a` and its second to the closed port.
    let probe = await request(port, '/rbr-probe');
    if (probe.status === 200) probe = await request(port, '/rbr-probe');
    assert.equal(probe.status, 503);
    a.steps.push(418);
    const retries = await stat('cluster.rbr.upstream_rq_retry');
    const total = await stat('cluster.rbr.upstream_rq_total');
    const res = await request(port, '/rbr/sticky');
    // Attempt 1: 418 from `a`, retried (retriable-status-codes). Attempt 2: connect failure — no byte of it was sent,
    // but attempt 1 sent the request, so reset-before-request does not apply any more.
    assert.equal(res.status, 503);
    assert.match(res.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/);
    assert.equal((await stat('cluster.rbr.upstream_rq_retry')) - retries, 1);
    assert.equal((await stat('cluster.rbr.upstream_rq_total')) - total, 2);
    assert.equal(lastLog(), '/rbr/sticky 503 UF');
  });

  test('max_retries 0: a retriable failure overflows the retry breaker (UO)', async () => {
    b.steps.push(503);
    const overflow = await stat('cluster.tight.upstream_rq_retry_overflow');
    const res = await request(port, '/noretrybudget');
    assert.equal(res.status, 503);
    assert.equal((await stat('cluster.tight.upstream_rq_retry_overflow')) - overflow, 1);
    assert.equal(lastLog(), '/noretrybudget 503 UO');
    assert.equal(await stat('cluster.tight.circuit_breakers.default.rq_retry_open'), 1);
  });

  test('a retry budget with no room overflows the retry breaker even though num_retries allows more', async () => {
    b.steps.push(503);
    const res = await request(port, '/budget');
    assert.equal(res.status, 503);
    assert.equal(await stat('cluster.budget.upstream_rq_retry_overflow'), 1);
    assert.equal(await stat('cluster.budget.upstream_rq_retry'), 0);
    b.steps.push(503, 503);
    const before = upB.requests.length;
    assert.equal((await request(port, '/budget')).status, 503);
    assert.equal(upB.requests.length - before, 1, 'no retry was sent');
  });

  test('max_requests 1: a second concurrent request gets 503 UO; remaining_rq tracks it', async () => {
    b.steps.push({ delayMs: 300 });
    const first = request(port, '/limited/1');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await stat('cluster.tight.circuit_breakers.default.rq_open'), 1);
    assert.equal(await stat('cluster.tight.circuit_breakers.default.remaining_rq'), 0);
    const second = await request(port, '/limited/2');
    assert.equal(second.status, 503);
    assert.equal(second.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
    assert.equal((await first).status, 200);
    assert.equal(await stat('cluster.tight.circuit_breakers.default.remaining_rq'), 1);
    assert.equal(await stat('cluster.tight.circuit_breakers.default.rq_open'), 0);
  });
});

describe('connection pool circuit breakers', () => {
  test('max_connections 1: requests queue for the one connection (upstream_cx_overflow); max_pending_requests overflows', async () => {
    const up = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('done'), 150));
    const proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: one }' }),
        staticCluster('one', [up.port], '    circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] }'),
      ),
    );
    try {
      const port = proxy.port('http');
      const results = await Promise.all([request(port, '/1'), request(port, '/2'), request(port, '/3')]);
      const codes = results.map((r) => r.status).sort();
      assert.deepEqual(codes, [200, 200, 503]);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.one.upstream_cx_total'), 1);
      assert.ok((await adminStat(proxy.adminPort, 'cluster.one.upstream_cx_overflow')) >= 1);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.one.upstream_rq_pending_overflow'), 1);
    } finally {
      await proxy.close();
      await up.close();
    }
  });

  test('the resource gauges return to zero when requests finish', async () => {
    const server = net.createServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const upPort = (server.address() as net.AddressInfo).port;
    const proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: c }' }),
        staticCluster('c', [upPort], '    circuit_breakers: { thresholds: [{ max_requests: 2, track_remaining: true }] }'),
      ),
    );
    try {
      const port = proxy.port('http');
      for (let i = 0; i < 3; i++) assert.equal((await request(port, '/')).status, 200);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.c.circuit_breakers.default.remaining_rq'), 2);
      assert.equal(await adminStat(proxy.adminPort, 'cluster.c.upstream_rq_active'), 0);
    } finally {
      await proxy.close();
      server.close();
    }
  });
});
