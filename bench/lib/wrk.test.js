// Run with: node --test bench/lib/wrk.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput, parseWrkTime } from './wrk.js';

const CLEAN = `Running 3s test @ http://127.0.0.1:46463/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   731.50us  223.25us   5.02ms   93.12%
    Req/Sec    65.23k     1.82k   67.86k    76.67%
  Latency Distribution
     50%  701.00us
     75%  795.00us
     90%    0.87ms
     99%    1.68ms
  194722 requests in 3.00s, 25.26MB read
Requests/sec:  64863.01
Transfer/sec:      8.41MB
`;

const WITH_ERRORS = `Running 10s test @ http://127.0.0.1:1/
  1 threads and 50 connections
  Latency Distribution
     50%    1.50s
     75%    1.90s
     90%    1.99s
     99%    2.00s
  1200 requests in 10.00s, 100.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 17
  Non-2xx or 3xx responses: 40
Requests/sec:    120.00
Transfer/sec:     10.00KB
`;

test('converts every wrk time unit to milliseconds', () => {
  assert.equal(parseWrkTime('701.00us'), 0.701);
  assert.equal(parseWrkTime('1.68ms'), 1.68);
  assert.equal(parseWrkTime('2.00s'), 2000);
  assert.equal(parseWrkTime('1.00m'), 60000);
  assert.equal(parseWrkTime('fast'), null);
});

test('reads requests/s, p50 and p99 from a clean report and flags nothing', () => {
  const r = parseWrkOutput(CLEAN);
  assert.equal(r.rps, 64863.01);
  assert.equal(r.p50Ms, 0.701);
  assert.equal(r.p99Ms, 1.68);
  assert.equal(r.requests, 194722);
  assert.equal(r.errors, 0);
  assert.equal(r.ok, true);
});

test('counts socket errors and non-2xx/3xx responses and marks the run not ok', () => {
  const r = parseWrkOutput(WITH_ERRORS);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 3, write: 0, timeout: 17 });
  assert.equal(r.non2xx3xx, 40);
  assert.equal(r.errors, 60);
  assert.equal(r.p99Ms, 2000);
  assert.equal(r.ok, false);
});

test('marks output without a latency distribution as not parsed', () => {
  const r = parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n');
  assert.equal(r.parsed, false);
  assert.equal(r.ok, false);
});
