// Run with: node --test bench/lib/report-rpc.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRpcRatios, formatRpcRatios, formatRpcResults, rpcFlags } from './report-rpc.js';

const load = (rps, extra = {}) => ({ rps, p50Ms: 1.5, p99Ms: 4, ok: rps * 10, errors: 0, errorsBy: {}, lost: 0, loadCpuPct: 55.4, latency: { p999Ms: 6 }, ...extra });
const mode = (protocol, m, rps, extra = {}) => ({ status: 'ok', protocol, mode: m, cpu: 'weft 0, server+load 1', load: load(rps), flags: [], proxyCpuPct: 99.6, memory: { beforeLoadRssBytes: 60 * 1048576, peakRssBytes: 90 * 1048576 }, ...extra });

function allModes(boltRpc, boltTcp, dubboRpc, dubboTcp) {
  return {
    'bolt direct': mode('bolt', 'direct', 400_000),
    'bolt weft-rpc': mode('bolt', 'weft-rpc', boltRpc),
    'bolt weft-tcp': mode('bolt', 'weft-tcp', boltTcp),
    'dubbo direct': mode('dubbo', 'direct', 500_000),
    'dubbo weft-rpc': mode('dubbo', 'weft-rpc', dubboRpc),
    'dubbo weft-tcp': mode('dubbo', 'weft-tcp', dubboTcp),
  };
}

test('RPC proxy / tcp_proxy req/s per protocol is checked against >= 0.70, Bolt RPC req/s against >= 60,000', () => {
  const r = computeRpcRatios(allModes(70_000, 100_000, 69_000, 100_000));
  assert.equal(r.bolt.rpcOverTcpRps, 0.7);
  assert.equal(r.bolt.rpcOverDirectRps, 0.175);
  assert.equal(r.bolt.tcpOverDirectRps, 0.25);
  assert.equal(r.dubbo.rpcOverTcpRps, 0.69);
  assert.deepEqual(r.meets, { boltRpcOverTcp: true, dubboRpcOverTcp: false, boltRpcRps: true });
  assert.equal(r.boltRpcRps, 70_000);
  const text = formatRpcRatios(r, allModes(1, 1, 1, 1));
  assert.match(text, /^Bolt: Weft RPC proxy \/ Weft tcp_proxy req\/s\s+0\.70\s+>= 0\.70\s+MET$/m);
  assert.match(text, /^Dubbo: Weft RPC proxy \/ Weft tcp_proxy req\/s\s+0\.69\s+>= 0\.70\s+MISSED$/m);
  assert.match(text, /^Bolt: Weft RPC proxy req\/s \(one core\)\s+70,000\s+>= 60,000\s+MET$/m);
  assert.equal(computeRpcRatios(allModes(59_999, 1, 1, 1)).meets.boltRpcRps, false);
});

test('a failed mode is a FAILED row with its reason and leaves its ratios n/a', () => {
  const modes = allModes(50_000, 100_000, 50_000, 100_000);
  modes['bolt weft-tcp'] = { status: 'failed', protocol: 'bolt', mode: 'weft-tcp', cpu: 'weft 0', reason: 'failed to start: exited with code 1' };
  const r = computeRpcRatios(modes);
  assert.equal(r.bolt.rpcOverTcpRps, null);
  assert.equal(r.meets.boltRpcOverTcp, null);
  assert.equal(r.meets.boltRpcRps, false);
  assert.match(formatRpcRatios(r, modes), /^Bolt: Weft RPC proxy \/ Weft tcp_proxy req\/s\s+n\/a\s+>= 0\.70\s+n\/a$/m);
  const table = formatRpcResults(modes);
  assert.match(table, /^bolt\s+weft-tcp\s+weft 0\s.*FAILED$/m);
  assert.match(table, /^bolt weft-tcp: failed to start: exited with code 1$/m);
  assert.match(table, /^bolt\s+weft-rpc\s+weft 0, server\+load 1\s+50,000\s+1\.50 ms\s+4\.00 ms\s+6\.00 ms\s+0\s+100 %\s+55 %\s+60\.0 MiB\s+90\.0 MiB\s+ok$/m);
  assert.match(formatRpcRatios(computeRpcRatios({}), {}), /ratios n\/a: \(no mode ran\)/);
});

test('the errors cell lists errors by kind and lost responses', () => {
  const m = mode('dubbo', 'weft-rpc', 10, { load: load(10, { errors: 3, errorsBy: { 'status 80': 2, 'unknown id': 1 }, lost: 4 }), flags: ['ERRORS'] });
  assert.match(formatRpcResults({ x: m }), /status 80 2, unknown id 1, lost 4 .*ERRORS$/m);
});

test('RPC flags: errors, lost responses, nothing answered, a process that died', () => {
  const clean = { ok: 100, errors: 0, lost: 0 };
  assert.deepEqual(rpcFlags(clean, { name: 'weft', running: true }), []);
  assert.deepEqual(rpcFlags({ ok: 0, errors: 5, lost: 256 }, { name: 'weft', running: false, describeExit: () => 'killed by SIGSEGV' }),
    ['ERRORS', '256 responses lost', 'no successful requests', 'proxy killed by SIGSEGV during load']);
  assert.deepEqual(rpcFlags(clean, { name: 'rpc-echo', running: false, describeExit: () => 'exited with code 1' }), ['rpc-echo exited with code 1 during load']);
});

test('a tcp_proxy row that did not saturate its core is noted: the RPC / tcp_proxy ratio is then a lower bound', () => {
  const modes = allModes(50_000, 100_000, 50_000, 100_000);
  modes['dubbo weft-tcp'].proxyCpuPct = 61.4;
  const r = computeRpcRatios(modes);
  assert.equal(r.dubbo.tcpProxyCpuPct, 61.4);
  assert.equal(r.bolt.tcpProxyCpuPct, 99.6);
  const text = formatRpcRatios(r, modes);
  assert.match(text, /^note: dubbo weft-tcp used 61 % of its core: the load core limited it, so its RPC \/ tcp_proxy ratio is a lower bound/m);
  assert.doesNotMatch(text, /note: bolt/);
});
