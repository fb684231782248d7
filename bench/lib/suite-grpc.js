// gRPC unary suite: an open-loop load at a fixed rate (h2load --rps, or bench/grpc-load.js) against a @grpc/grpc-js echo server
// (bench/grpc-echo-server.js), both on the load core; direct, through Weft (h2c both sides) and, as a reference,
// through HAProxy (`proto h2` both sides), the proxy alone on the other core. See bench/README.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStopping } from './cleanup.js';
import { ECHO_PATH, waitForEcho } from './grpc-echo.js';
import { runGrpcH2load } from './grpc-h2load.js';
import { startHaproxy } from './haproxy.js';
import { waitForH2_200 } from './h2-check.js';
import { startNghttpdUpstream } from './nghttpd.js';
import { fmtMs } from './report.js';
import { medianGrpcRound } from './report-h2-grpc.js';
import { allowedCpus, startProcess } from './procs.js';
import { memoryReport, RssSampler, settledTreeMemory } from './rss.js';
import { startWeft } from './weft.js';

export const GRPC_MODES = ['direct', 'weft', 'haproxy'];

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flags that make a mode "not clean" (exit code 1): failed or unanswered calls, a load that was not offered. */
export function grpcFlags(load, proc) {
  const flags = [];
  if (load.errors > 0) flags.push('ERRORS');
  if (load.unfinished > 0) flags.push(`${load.unfinished} calls unanswered`);
  if (load.ok === 0) flags.push('no successful calls');
  // The schedule slipped: the load generator (or its core) could not keep up, so the rate was not the one asked for.
  if (load.achievedRps !== null && load.achievedRps < 0.95 * load.rate) flags.push(`offered only ${Math.round(load.achievedRps)}/s`);
  if (proc && !proc.running) flags.push(`proxy ${proc.describeExit()} during load`);
  return flags;
}

async function startEchoServerProcess(cpu) {
  const proc = startProcess('grpc-echo', process.execPath, [path.join(BENCH_DIR, 'grpc-echo-server.js')], { cpu });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const m = /^listening (\d+)$/m.exec(proc.out);
    if (m) {
      const port = Number(m[1]);
      await waitForEcho(port, 5000, proc);
      return { proc, port };
    }
    if (!proc.running) break;
    await sleep(50);
  }
  await proc.stop();
  throw new Error(`gRPC echo server did not start: ${proc.running ? 'no "listening" line within 10 s' : proc.describeExit()} ${proc.tail(400)}`);
}

/** Runs the chosen generator (opts.grpcLoad) pinned to `cpu`; resolves its report (rejects if it failed). */
async function runLoad({ port, opts, cpu }) {
  if (opts.grpcLoad === 'h2load') {
    return runGrpcH2load({ port, rate: opts.grpcRate, durationSec: opts.durationSec, warmupSec: opts.warmupSec, cpu });
  }
  return runGrpcJsLoad({ port, opts, cpu });
}

/** Runs bench/grpc-load.js pinned to `cpu`; resolves its JSON report (rejects if it failed or printed none). */
async function runGrpcJsLoad({ port, opts, cpu }) {
  const args = [path.join(BENCH_DIR, 'grpc-load.js'), '--port', String(port), '--rate', String(opts.grpcRate),
    '--duration', String(opts.durationSec), '--warmup', String(opts.warmupSec)];
  const proc = startProcess('grpc-load', process.execPath, args, { cpu });
  const timer = setTimeout(() => proc.killGroup('SIGKILL'), (opts.durationSec + opts.warmupSec + 30) * 1000);
  await proc.exited;
  clearTimeout(timer);
  await proc.stop(0);
  const line = proc.out.split('\n').reverse().find((l) => l.startsWith('{'));
  if (proc.exitCode !== 0 || !line) throw new Error(`grpc-load ${proc.describeExit()}: ${proc.tail(600)}`);
  return { ...JSON.parse(line), args: ['node', ...args.map((a) => path.relative(process.cwd(), a) || a)] };
}

async function measure(port, opts, loadCpu, proc) {
  const sampler = proc ? new RssSampler(proc.pid, 200) : null;
  sampler?.start();
  let mem = null;
  try {
    const load = await runLoad({ port, opts, cpu: loadCpu });
    mem = sampler?.stop() ?? null;
    return { load, mem };
  } finally {
    if (sampler && !mem) sampler.stop();
  }
}

async function runProxied(name, start, opts, cpus) {
  const [proxyCpu, loadCpu] = cpus;
  const cpu = `${name} ${proxyCpu}, server+load ${loadCpu}`;
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
    const { load, mem } = await measure(port, opts, loadCpu, proc);
    return {
      status: 'ok',
      cpu,
      pid: proc.pid,
      affinity,
      command: started.command,
      load,
      memory: memoryReport(idle, mem),
      flags: grpcFlags(load, proc),
    };
  } catch (err) {
    return { status: 'failed', cpu, reason: `during measurement: ${err.message}${proc.running ? '' : ` (${proc.describeExit()}: ${proc.tail(400)})`}` };
  } finally {
    await proc.stop();
  }
}

/**
 * Runs the selected gRPC modes one after the other against one echo server on the load core, opts.rounds times
 * (interleaved). `opts`: durationSec, warmupSec, grpcRate, modes (subset of GRPC_MODES), weftBin, rounds. Resolves
 * { modes: { [mode]: result }, rounds?: [{ [mode]: result }] }: with several rounds, `modes` is the round with the
 * median p99 Weft adds (medianGrpcRound) and `rounds` has them all.
 */
export async function runGrpcSuite({ opts, cpus, repoRoot, log }) {
  const loadCpu = cpus[1];
  const nghttpd = opts.grpcUpstream === 'nghttpd';
  log(`grpc: starting the ${nghttpd ? 'nghttpd upstream' : 'echo server'} on core ${loadCpu}`);
  const server = nghttpd ? await startNghttpdUpstream(loadCpu) : await startEchoServerProcess(loadCpu);
  const check = nghttpd ? (port, proc) => waitForH2_200(port, ECHO_PATH, 10_000, proc) : (port, proc) => waitForEcho(port, 10_000, proc);
  const rounds = [];
  try {
    for (let round = 1; round <= opts.rounds && !isStopping(); round++) {
      const prefix = opts.rounds > 1 ? `grpc round ${round}:` : 'grpc';
      rounds.push(await runGrpcRound({ opts, cpus, repoRoot, log: (m) => log(`${prefix} ${m}`), server, check }));
    }
  } finally {
    await server.proc.stop();
  }
  if (rounds.length <= 1) return { modes: rounds[0] ?? {} };
  return { modes: rounds[medianGrpcRound(rounds).index], rounds };
}

/** One pass over the selected modes against the running upstream `server`. */
async function runGrpcRound({ opts, cpus, repoRoot, log, server, check }) {
  const [proxyCpu, loadCpu] = cpus;
  const results = {};
  for (const mode of opts.modes) {
    if (isStopping()) break;
    log(`${mode}: running (${opts.warmupSec}s warm-up + ${opts.durationSec}s at ${opts.grpcRate} calls/s)`);
    if (mode === 'direct') {
      try {
        const { load } = await measure(server.port, opts, loadCpu, null);
        results.direct = { status: 'ok', cpu: `server+load ${loadCpu}`, load, flags: grpcFlags(load, null) };
      } catch (err) {
        results.direct = { status: 'failed', cpu: `server+load ${loadCpu}`, reason: err.message };
      }
    } else if (mode === 'weft') {
      const start = () => startWeft({ cpu: proxyCpu, upstreamPort: server.port, repoRoot, bin: opts.weftBin, h2: true, check });
      results.weft = await runProxied('weft', start, opts, cpus);
    } else {
      const start = () => startHaproxy({ cpu: proxyCpu, upstreamPort: server.port, connections: 10, h2: true, check });
      results.haproxy = await runProxied('haproxy', start, opts, cpus);
    }
    const r = results[mode];
    log(r.status === 'ok'
      ? `${mode}: p50 ${fmtMs(r.load.latency.p50Ms)}, p99 ${fmtMs(r.load.latency.p99Ms)}, errors ${r.load.errors}${r.flags.length ? ` [${r.flags.join('; ')}]` : ''}`
      : `${mode}: ${r.reason}`);
    await sleep(500);
  }
  return results;
}
