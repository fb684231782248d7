#!/usr/bin/env node
// Weft benchmark harness: keep-alive HTTP/1.1, small bodies, measured side by side in one run:
// direct to the nginx upstream, through Weft, through HAProxy. Optional suites: HTTP/2 (h2load), gRPC unary at a
// fixed rate, and pipelined SOFA Bolt / Dubbo through the RPC proxy and the tcp_proxy (--suite). See bench/README.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanupHandlers, isStopping, runCleanups } from './lib/cleanup.js';
import { expectHelloWorld } from './lib/http-check.js';
import { startHaproxy } from './lib/haproxy.js';
import { startNginx } from './lib/nginx.js';
import { allowedCpus, ensureCommands, pinTree, processTree } from './lib/procs.js';
import { computeRatios, fmtMs, formatRatios, formatResults, medianRound, TARGETS } from './lib/report.js';
import { computeGrpcRatios, computeH2Ratios, formatGrpcRatios, formatGrpcResults, formatGrpcRounds, formatH2Ratios, formatH2Results, GRPC_TARGETS, H2_TARGETS } from './lib/report-h2-grpc.js';
import { memoryReport, RssSampler, settledTreeMemory } from './lib/rss.js';
import { runH2Suite } from './lib/suite-h2.js';
import { computeRpcRatios, formatRpcRatios, formatRpcResults, RPC_TARGETS } from './lib/report-rpc.js';
import { runRpcSuite } from './lib/suite-rpc.js';
import { parseOptions } from './lib/options.js';
import { startWeft } from './lib/weft.js';
import { runWrk } from './lib/wrk.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first two CPUs this process may run on: [proxy core, load core]. */
function pickCpus() {
  const list = allowedCpus(process.pid);
  const cpus = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  if (cpus.length < 2 || cpus.some(Number.isNaN)) {
    log(`warning: fewer than 2 usable CPUs (${list}); proxy, upstream and wrk will share one core`);
    return [cpus[0] ?? 0, cpus[0] ?? 0];
  }
  return [cpus[0], cpus[1]];
}

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim())?.trim() ?? 'unknown';
}

/** warm-up (discarded) then measurement with wrk on `loadCpu`; samples the proxy's RSS meanwhile when given. */
async function measure(port, opts, loadCpu, proc) {
  const sampler = proc ? new RssSampler(proc.pid, 200) : null;
  sampler?.start();
  let mem = null;
  try {
    await runWrk({ port, durationSec: opts.warmupSec, connections: opts.connections, cpu: loadCpu });
    const wrk = await runWrk({ port, durationSec: opts.durationSec, connections: opts.connections, cpu: loadCpu });
    mem = sampler?.stop() ?? null;
    return { wrk, mem };
  } finally {
    if (sampler && !mem) sampler.stop();
  }
}

function flagsFor(wrk, proc) {
  const flags = [];
  if (!wrk.parsed) flags.push('wrk output not understood');
  if (wrk.errors > 0) flags.push('ERRORS');
  if ((wrk.requests ?? 0) === 0) flags.push('no requests');
  if (proc && !proc.running) flags.push(`proxy ${proc.describeExit()} during load`);
  return flags;
}

function summarizeWrk(wrk) {
  const { raw: _raw, ...rest } = wrk;
  return rest;
}

async function runDirect(upstream, opts, cpus) {
  const [proxyCpu, loadCpu] = cpus;
  // Direct: nothing sits in between, so the upstream takes the proxy's core; otherwise nginx and wrk would fight
  // over core 1 and the baseline would be unfairly low.
  pinTree(upstream.proc.pid, proxyCpu);
  try {
    await expectHelloWorld(upstream.port);
    const affinity = processTree(upstream.proc.pid).map((pid) => `${pid}:${allowedCpus(pid)}`).join(' ');
    const { wrk } = await measure(upstream.port, opts, loadCpu, null);
    return { status: 'ok', cpu: `nginx ${proxyCpu}, wrk ${loadCpu}`, affinity, wrk: summarizeWrk(wrk), raw: wrk.raw, flags: flagsFor(wrk, upstream.proc) };
  } finally {
    pinTree(upstream.proc.pid, loadCpu);
  }
}

async function runProxied(name, start, opts, cpus) {
  const [proxyCpu, loadCpu] = cpus;
  const cpu = `${name} ${proxyCpu}, nginx+wrk ${loadCpu}`;
  let started;
  try {
    started = await start();
  } catch (err) {
    return { status: 'failed', cpu, reason: err.message };
  }
  const { proc, port } = started;
  try {
    await sleep(500); // start-up garbage first
    const idle = await settledTreeMemory(proc.pid);
    const affinity = allowedCpus(proc.pid);
    const { wrk, mem } = await measure(port, opts, loadCpu, proc);
    return {
      status: 'ok',
      cpu,
      pid: proc.pid,
      affinity,
      command: started.command,
      wrk: summarizeWrk(wrk),
      raw: wrk.raw,
      memory: memoryReport(idle, mem),
      flags: flagsFor(wrk, proc),
    };
  } catch (err) {
    return { status: 'failed', cpu, reason: `during measurement: ${err.message}${proc.running ? '' : ` (${proc.describeExit()}: ${proc.tail(400)})`}` };
  } finally {
    await proc.stop();
  }
}

/** The HTTP/1.1 suite (the original benchmark): header, the three wrk modes, table and ratios. null if stopped. */
async function runHttp1Suite(opts, cpus, host, tools) {
  const [proxyCpu, loadCpu] = cpus;
  console.log(`Weft bench — keep-alive HTTP/1.1, GET / -> 200 "hello world\\n" (12-byte body), ${host.started}`);
  console.log(`wrk -t1 -c${opts.connections} -d${opts.durationSec}s --latency (after a discarded ${opts.warmupSec}s warm-up), one mode after the other`);
  console.log(`pinning: proxy under test (Weft --concurrency 1 / HAProxy nbthread 1) on core ${proxyCpu}; nginx upstream (1 worker) and wrk on core ${loadCpu}.`);
  console.log(`         direct: nginx moved to core ${proxyCpu} (the proxy's core) so it does not share core ${loadCpu} with wrk.`);
  if (opts.rounds > 1) console.log(`rounds: ${opts.rounds}, the modes interleaved; the table shows the round with the median Weft/HAProxy req/s ratio.`);
  printHostAndTools(host, tools);

  log(`starting nginx upstream on core ${loadCpu}`);
  const upstream = await startNginx({ cpu: loadCpu });
  const rounds = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const results = await runHttp1Round(upstream, opts, cpus, opts.rounds > 1 ? `round ${round}: ` : '');
    if (!results) return null;
    rounds.push(results);
  }
  await upstream.proc.stop();

  const { index, values } = medianRound(rounds);
  const results = rounds[index];
  const ratios = computeRatios(results);
  console.log(formatResults(results));
  console.log('');
  console.log(formatRatios(ratios, results));
  if (rounds.length > 1) {
    const list = values.map((v, i) => `${v === null ? 'n/a' : v.toFixed(2)}${i === index ? ' (shown)' : ''}`).join(', ');
    console.log(`Weft / HAProxy req/s by round: ${list}`);
  }
  return { modes: results, ratios, rounds: rounds.length > 1 ? rounds.map((r) => ({ modes: r, ratios: computeRatios(r) })) : undefined };
}

/** One pass over the HTTP/1.1 modes against a running nginx; null if stopped. */
async function runHttp1Round(upstream, opts, cpus, label) {
  const [proxyCpu] = cpus;
  const results = {};
  for (const mode of opts.modes) {
    if (isStopping()) return null;
    log(`${label}${mode}: running (${opts.warmupSec}s warm-up + ${opts.durationSec}s)`);
    if (mode === 'direct') {
      try {
        results.direct = await runDirect(upstream, opts, cpus);
      } catch (err) {
        results.direct = { status: 'failed', cpu: `nginx ${proxyCpu}, wrk ${cpus[1]}`, reason: err.message };
      }
    } else if (mode === 'weft') {
      results.weft = await runProxied('weft', () => startWeft({ cpu: proxyCpu, upstreamPort: upstream.port, repoRoot: REPO_ROOT, bin: opts.weftBin }), opts, cpus);
    } else {
      results.haproxy = await runProxied('haproxy', () => startHaproxy({ cpu: proxyCpu, upstreamPort: upstream.port, connections: opts.connections }), opts, cpus);
    }
    const r = results[mode];
    log(r.status === 'ok' ? `${label}${mode}: ${Math.round(r.wrk.rps)} req/s, p50 ${fmtMs(r.wrk.p50Ms)}, p99 ${fmtMs(r.wrk.p99Ms)}${r.flags.length ? ` [${r.flags.join('; ')}]` : ''}` : `${label}${mode}: ${r.reason}`);
    await sleep(500);
  }
  return isStopping() ? null : results;
}

function printHostAndTools(host, tools) {
  console.log(`host: ${host.cpus} x ${host.cpuModel}, ${host.kernel}, node ${host.node}, loadavg ${host.loadavgBefore.join(' ')}`);
  const list = [tools.nginx, tools.wrk, tools.haproxy, tools.h2load, tools.grpcJs, tools.rpcPeers].filter(Boolean);
  console.log(`tools: ${list.join(' | ')}\n`);
}

/**
 * An optional suite (h2, grpc): heading, run, table, ratios. A suite that cannot run at all (e.g. its upstream does
 * not start) is reported with its reason and counts as not clean; the next suite still runs.
 */
async function runOptionalSuite(name, heading, run, format) {
  console.log(`${heading.join('\n')}\n`);
  try {
    const { modes, rounds } = await run();
    if (isStopping()) return null;
    const ratios = format.ratios(modes);
    console.log(format.results(modes));
    console.log('');
    console.log(format.formatRatios(ratios, modes));
    if (rounds) console.log(format.rounds(rounds, rounds.indexOf(modes)));
    return { modes, ratios, targets: format.targets, rounds: rounds?.map((r) => ({ modes: r, ratios: format.ratios(r) })) };
  } catch (err) {
    if (isStopping()) return null;
    console.log(`${name} suite FAILED: ${err.message}`);
    return { error: err.message, modes: {}, ratios: null, targets: format.targets };
  }
}

function rpcPeerVersions() {
  const script = "for (const p of ['sofa-rpc-node', 'dubbo2.js', 'hessian.js']) { try { process.stdout.write(p + ' ' + require(p + '/package.json').version + ', '); } catch { process.stdout.write(p + ' missing, '); } }";
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.replace(/, $/, '') : 'unknown';
}

function toolsFor(opts) {
  const uses = (s) => opts.suites.includes(s);
  const grpcVersion = () => {
    const r = spawnSync(process.execPath, ['-p', "require('@grpc/grpc-js/package.json').version"], { cwd: REPO_ROOT, encoding: 'utf8' });
    return r.status === 0 ? `@grpc/grpc-js ${r.stdout.trim()}` : 'unknown';
  };
  return {
    nginx: uses('http1') || uses('h2') ? toolVersion('nginx', ['-v']) : null,
    wrk: uses('http1') ? toolVersion('wrk', ['-v']) : null,
    haproxy: opts.modes.includes('haproxy') ? toolVersion('haproxy', ['-v']) : null,
    h2load: uses('h2') || (uses('grpc') && opts.grpcLoad === 'h2load') ? toolVersion('h2load', ['--version']) : null,
    grpcJs: uses('grpc') ? grpcVersion() : null,
    rpcPeers: uses('rpc') ? rpcPeerVersions() : null,
  };
}

async function main() {
  installCleanupHandlers();
  const opts = parseOptions(REPO_ROOT);
  const uses = (s) => opts.suites.includes(s);
  const needed = [{ cmd: 'taskset', pkg: 'util-linux' }];
  if (uses('http1') || uses('h2')) needed.push({ cmd: 'nginx', pkg: 'nginx-light' });
  if (uses('http1')) needed.push({ cmd: 'wrk', pkg: 'wrk' });
  if (uses('h2') || (uses('grpc') && opts.grpcLoad === 'h2load')) needed.push({ cmd: 'h2load', pkg: 'nghttp2-client' });
  if (uses('grpc') && opts.grpcUpstream === 'nghttpd') needed.push({ cmd: 'nghttpd', pkg: 'nghttp2-server' });
  if (opts.modes.includes('haproxy')) needed.push({ cmd: 'haproxy', pkg: 'haproxy' });
  try {
    ensureCommands(needed, log);
  } catch (err) {
    log(err.message);
    process.exit(1);
  }

  const cpus = pickCpus();
  const [proxyCpu, loadCpu] = cpus;
  // The harness itself only sleeps and samples /proc during load; keep it off the proxy's core.
  pinTree(process.pid, loadCpu);

  const started = new Date();
  const host = {
    started: started.toISOString(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    loadavgBefore: os.loadavg().map((x) => Number(x.toFixed(2))),
    kernel: os.release(),
    node: process.version,
  };
  const tools = toolsFor(opts);
  const out = {
    timestamp: started.toISOString(),
    suites: opts.suites,
    settings: { ...opts, threads: 1, proxyCpu, loadCpu, directUpstreamCpu: proxyCpu, rssSampleMs: 200 },
    host,
    tools,
  };
  const bad = [];
  if (uses('http1')) {
    const http1 = await runHttp1Suite(opts, cpus, host, tools);
    if (!http1) return;
    Object.assign(out, { targets: TARGETS, modes: http1.modes, ratios: http1.ratios, rounds: http1.rounds });
    if (uses('h2') || uses('grpc') || uses('rpc')) console.log('');
    for (const [m, r] of Object.entries(http1.modes)) if (r.status !== 'ok' || r.flags.length > 0) bad.push(`${m} (${r.status === 'ok' ? r.flags.join('; ') : 'failed'})`);
  } else {
    console.log(`Weft bench — suites ${opts.suites.join(', ')}, ${host.started}`);
    printHostAndTools(host, tools);
  }
  if (uses('h2') && !isStopping()) {
    out.h2 = await runOptionalSuite('h2', [
      `HTTP/2 — h2c prior knowledge, GET / -> 200 "hello world\\n" from nginx (h2c), h2load -t1 -c${opts.h2Clients} -m${opts.h2Streams} -D ${opts.durationSec} (after a discarded ${opts.warmupSec}s warm-up)`,
      `pinning: proxy (Weft --concurrency 1 / HAProxy nbthread 1, proto h2 both sides) on core ${proxyCpu}; nginx and h2load on core ${loadCpu}; direct: nginx on core ${proxyCpu}.`,
    ], () => runH2Suite({ opts, cpus, repoRoot: REPO_ROOT, log }),
    { ratios: computeH2Ratios, results: formatH2Results, formatRatios: formatH2Ratios, targets: H2_TARGETS });
    if (!out.h2) return;
  }
  if (uses('grpc') && !isStopping()) {
    out.grpc = await runOptionalSuite('grpc', [
      `gRPC unary — open loop at ${opts.grpcRate} calls/s for ${opts.durationSec}s (after a discarded ${opts.warmupSec}s warm-up), 16-byte echo, ${opts.grpcUpstream === 'nghttpd' ? 'nghttpd upstream (fixed gRPC-framed reply, C)' : '@grpc/grpc-js server'}, ${opts.grpcLoad === 'h2load' ? 'h2load --rps client (C; 10 threads, 10 connections)' : '@grpc/grpc-js client (bench/grpc-load.js, one channel)'}`,
      `pinning: proxy (Weft --concurrency 1 / HAProxy nbthread 1, h2c both sides) on core ${proxyCpu}; echo server and load generator on core ${loadCpu}.`,
      ...(opts.rounds > 1 ? [`rounds: ${opts.rounds}, the modes interleaved; the table shows the round with the median p99 Weft adds.`] : []),
    ], async () => {
      // Loaded on demand: it needs @grpc/grpc-js from the workspace, which the other suites do not.
      const { runGrpcSuite } = await import('./lib/suite-grpc.js');
      return runGrpcSuite({ opts, cpus, repoRoot: REPO_ROOT, log });
    },
    { ratios: computeGrpcRatios, results: formatGrpcResults, formatRatios: formatGrpcRatios, rounds: formatGrpcRounds, targets: GRPC_TARGETS });
    if (!out.grpc) return;
  }
  if (uses('rpc') && !isStopping()) {
    out.rpc = await runOptionalSuite('rpc', [
      `RPC — SOFA Bolt and Dubbo, closed loop: ${opts.rpcConnections} connections x ${opts.rpcDepth} requests in flight, ${opts.durationSec}s (after a discarded ${opts.warmupSec}s warm-up); pre-encoded frames captured from sofa-rpc-node / dubbo2.js`,
      `modes: direct; weft-rpc (Weft RPC proxy, route on the service); weft-tcp (Weft tcp_proxy, same frames). pinning: Weft --concurrency 1 on core ${proxyCpu}; echo server and load generator on core ${loadCpu}; direct: echo server on core ${proxyCpu}.`,
    ], () => runRpcSuite({ opts, cpus, repoRoot: REPO_ROOT, log }),
    { ratios: computeRpcRatios, results: formatRpcResults, formatRatios: formatRpcRatios, targets: RPC_TARGETS });
    if (!out.rpc) return;
  }
  for (const suite of ['h2', 'grpc', 'rpc']) {
    const res = out[suite];
    if (!res) continue;
    if (res.error) bad.push(`${suite} suite (${res.error.split('\n')[0]})`);
    for (const [m, r] of Object.entries(res.modes)) if (r.status !== 'ok' || r.flags.length > 0) bad.push(`${suite} ${m} (${r.status === 'ok' ? r.flags.join('; ') : 'failed'})`);
  }

  out.host = { ...host, loadavgAfter: os.loadavg().map((x) => Number(x.toFixed(2))) };
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);

  if (bad.length) {
    log(`not clean: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  log(`error: ${err?.stack ?? err}`);
  runCleanups();
  process.exit(1);
});
