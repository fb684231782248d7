// Run with: node --test bench/lib/h2load.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2loadReport, parseH2loadLog, parseH2loadOutput, parseH2loadTime } from './h2load.js';
import { h2Flags } from './suite-h2.js';

const CLEAN = `starting benchmark...
spawning thread #0: 4 total client(s). Timing-based test with 1s of warm-up time and 2s of main duration for measurements.
Warm-up started for thread #0.
progress: 100% of clients started
Application protocol: h2c
Warm-up phase is over for thread #0.
Main benchmark duration is started for thread #0.
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 3.00s, 17429.00 req/s, 1.32MB/s
requests: 34858 total, 34858 started, 34858 done, 34858 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 34857 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 2.65MB (2774718) total, 2.60MB (2725337) headers (space savings 49.75%), 642.00KB (657408) data
                     min         max         mean         sd        +/- sd
time for request:       55us      9.03ms       847us      1.19ms    86.56%
time for connect:        0us         0us         0us         0us     0.00%
time to 1st byte:        0us         0us         0us         0us     0.00%
req/s           :    4300.85     4423.67     4357.01       51.53    50.00%
`;

// Through a proxy that resets streams and answers some with 503.
const FAILING = `Application protocol: h2c

finished in 12.00s, 5000.50 req/s, 300.00KB/s
requests: 50010 total, 50010 started, 50005 done, 49000 succeeded, 1010 failed, 10 errored, 5 timeout
status codes: 49000 2xx, 0 3xx, 0 4xx, 1000 5xx
                     min         max         mean         sd        +/- sd
time for request:      120us       1.20s      1.50ms      3.00ms    90.00%
`;

// Connection refused: h2load still exits 0 and prints an empty report.
const REFUSED = `finished in 1.00s, 0.00 req/s, 0B/s
requests: 0 total, 0 started, 0 done, 0 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 0 2xx, 0 3xx, 0 4xx, 0 5xx
time for request:        0us         0us         0us         0us     0.00%
`;

test('converts h2load time units to milliseconds', () => {
  assert.equal(parseH2loadTime('847us'), 0.847);
  assert.equal(parseH2loadTime('9.03ms'), 9.03);
  assert.equal(parseH2loadTime('1.20s'), 1200);
  assert.equal(parseH2loadTime('soon'), null);
});

test('reads req/s, protocol, request counts and time-for-request from a clean report', () => {
  const r = parseH2loadOutput(CLEAN);
  assert.equal(r.rps, 17429);
  assert.equal(r.protocol, 'h2c');
  assert.deepEqual(r.requests, { total: 34858, started: 34858, done: 34858, succeeded: 34858, failed: 0, errored: 0, timeout: 0 });
  assert.deepEqual(r.status, { '2xx': 34857, '3xx': 0, '4xx': 0, '5xx': 0 });
  assert.deepEqual(r.timeForRequest, { minMs: 0.055, maxMs: 9.03, meanMs: 0.847, sdMs: 1.19 });
  assert.equal(r.errors, 0);
  assert.equal(r.ok, true);
});

test('counts failed requests (errored, timed out and 5xx included) as errors', () => {
  const r = parseH2loadOutput(FAILING);
  assert.equal(r.rps, 5000.5);
  assert.equal(r.errors, 1010);
  assert.equal(r.status['5xx'], 1000);
  assert.equal(r.timeForRequest.maxMs, 1200);
  assert.equal(r.ok, false);
});

test('a refused connection parses but is not ok: no protocol, nothing done', () => {
  const r = parseH2loadOutput(REFUSED);
  assert.equal(r.parsed, true);
  assert.equal(r.protocol, null);
  assert.equal(r.requests.done, 0);
  assert.equal(r.ok, false);
  assert.deepEqual(h2Flags({ ...r, logMalformed: 0 }, null), ['protocol none (expected h2c)', 'no requests']);
});

test('unrecognised output is neither parsed nor ok', () => {
  const r = parseH2loadOutput('h2load: command not found\n');
  assert.equal(r.parsed, false);
  assert.equal(r.ok, false);
  assert.deepEqual(h2Flags({ ...r, logMalformed: 0 }, null), ['h2load output not understood', 'no requests']);
});

test('reads per-request durations and statuses from the log file, counting malformed lines', () => {
  const log = '1795499758752811\t200\t527\n1795499758752812\t200\t1576\n1795499758752813\t503\t90\ngarbage\n1795499758752814\t-1\t4000\n';
  const r = parseH2loadLog(log);
  assert.deepEqual([...r.latenciesMs], [0.527, 1.576, 0.09, 4]);
  assert.deepEqual(r.statuses, { 200: 2, 503: 1, '-1': 1 });
  assert.equal(r.malformed, 1);
  assert.equal(r.unrecorded, 0);
});

test('leaves status-0 lines (requests carried over from the warm-up) out of the latencies', () => {
  const r = parseH2loadLog('1795550355960934\t0\t18009\n1795550355960999\t200\t700\n');
  assert.deepEqual([...r.latenciesMs], [0.7]);
  assert.deepEqual(r.statuses, { 200: 1 });
  assert.equal(r.unrecorded, 1);
});

test('takes p50 and p99 from the log, not from the report', () => {
  // 100 requests taking 1..100 ms: nearest-rank p50 = 50 ms, p99 = 99 ms
  const log = Array.from({ length: 100 }, (_, i) => `17954997587528${String(i).padStart(2, '0')}\t200\t${(i + 1) * 1000}`).join('\n');
  const r = h2loadReport(CLEAN, `${log}\n`);
  assert.equal(r.p50Ms, 50);
  assert.equal(r.p99Ms, 99);
  assert.equal(r.latency.count, 100);
  assert.equal(r.latency.maxMs, 100);
  assert.equal(r.ok, true);
  assert.deepEqual(h2Flags(r, null), []);
});

test('an empty log leaves the run unparsed even when the report is clean', () => {
  const r = h2loadReport(CLEAN, '');
  assert.equal(r.p99Ms, null);
  assert.equal(r.parsed, false);
  assert.equal(r.ok, false);
});
