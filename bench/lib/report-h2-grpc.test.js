// Run with: node --test bench/lib/report-h2-grpc.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGrpcRatios, computeH2Ratios, formatGrpcRatios, formatGrpcRounds, formatH2Ratios, formatH2Results, medianGrpcRound } from './report-h2-grpc.js';
import { grpcFlags } from './suite-grpc.js';

const h2Mode = (rps, p99Ms) => ({ status: 'ok', cpu: 'x', flags: [], h2load: { rps, p50Ms: p99Ms / 2, p99Ms, errors: 0 } });
const grpcMode = (p99Ms) => ({ status: 'ok', cpu: 'x', flags: [], load: { latency: { p99Ms } } });

test('HTTP/2: Weft / HAProxy req/s is checked against >= 0.6', () => {
  const met = computeH2Ratios({ weft: h2Mode(6000, 4), haproxy: h2Mode(10000, 2) });
  assert.equal(met.weftOverHaproxyRps, 0.6);
  assert.equal(met.weftP99OverHaproxyP99, 2);
  assert.equal(met.meets.rps, true);
  const missed = computeH2Ratios({ weft: h2Mode(5900, 4), haproxy: h2Mode(10000, 2) });
  assert.equal(missed.meets.rps, false);
  assert.match(formatH2Ratios(missed, {}), /0\.59\s+>= 0\.60\s+MISSED/);
});

test('HTTP/2: a Weft mode that failed to start gives n/a ratios and a FAILED row with its reason', () => {
  const modes = { weft: { status: 'failed', cpu: 'weft 0', reason: 'failed to start: exited with code 1: unsupported http2' }, haproxy: h2Mode(10000, 2) };
  const ratios = computeH2Ratios(modes);
  assert.equal(ratios.weftOverHaproxyRps, null);
  assert.equal(ratios.meets.rps, null);
  assert.match(formatH2Ratios(ratios, modes), /n\/a[\s\S]*ratios n\/a: \(Weft did not run\)/);
  const table = formatH2Results(modes);
  assert.match(table, /^weft\s+weft 0\s.*FAILED$/m);
  assert.match(table, /^weft: failed to start: exited with code 1: unsupported http2$/m);
});

test('gRPC: added p99 is Weft p99 minus direct p99, checked against <= 0.3 ms', () => {
  const met = computeGrpcRatios({ direct: grpcMode(1.25), weft: grpcMode(1.5), haproxy: grpcMode(1.375) });
  assert.equal(met.weftAddedP99Ms, 0.25);
  assert.equal(met.haproxyAddedP99Ms, 0.125);
  assert.equal(met.meets.addedP99, true);
  const missed = computeGrpcRatios({ direct: grpcMode(1), weft: grpcMode(1.5) });
  assert.equal(missed.meets.addedP99, false);
  assert.equal(missed.haproxyAddedP99Ms, null);
  assert.match(formatGrpcRatios(missed, { direct: {}, weft: {} }), /0\.500 ms\s+<= 0\.3 ms\s+MISSED/);
});

test('gRPC: without a direct baseline there is no verdict', () => {
  const r = computeGrpcRatios({ direct: { status: 'failed' }, weft: grpcMode(1) });
  assert.equal(r.weftAddedP99Ms, null);
  assert.equal(r.meets.addedP99, null);
});

test('gRPC flags: errors, unanswered calls and a load that fell behind its rate', () => {
  const clean = { rate: 1000, ok: 10000, errors: 0, unfinished: 0, achievedRps: 999.8 };
  assert.deepEqual(grpcFlags(clean, null), []);
  assert.deepEqual(grpcFlags({ ...clean, errors: 3, unfinished: 2, achievedRps: 900 }, null), ['ERRORS', '2 calls unanswered', 'offered only 900/s']);
  assert.deepEqual(grpcFlags({ ...clean, ok: 0, errors: 10000 }, { running: false, describeExit: () => 'exited with code 1' }),
    ['ERRORS', 'no successful calls', 'proxy exited with code 1 during load']);
});

test('gRPC rounds: the round with the median p99 Weft adds, the higher middle one for an even count', () => {
  const round = (weft, haproxy = 0.6) => ({ direct: grpcMode(0.2), weft: weft === null ? { status: 'failed', reason: 'x' } : grpcMode(0.2 + weft), haproxy: grpcMode(0.2 + haproxy) });
  const three = [round(0.8), round(0.5), round(1.1)];
  const picked = medianGrpcRound(three);
  assert.equal(picked.index, 0);
  assert.deepEqual(picked.values.map((x) => Number(x.toFixed(3))), [0.8, 0.5, 1.1]);
  assert.equal(medianGrpcRound([round(0.4), round(0.9), round(0.6), round(0.7)]).index, 3);
  // A round where Weft failed is passed over.
  assert.equal(medianGrpcRound([round(null), round(0.3), round(0.9)]).index, 2);
  const text = formatGrpcRounds(three, 0);
  assert.match(text, /^Weft p99 - direct p99 by round: 0\.800 ms \(shown\), 0\.500 ms, 1\.100 ms$/m);
  assert.match(text, /^HAProxy p99 - direct p99 by round: 0\.600 ms \(shown\), 0\.600 ms, 0\.600 ms$/m);
});
