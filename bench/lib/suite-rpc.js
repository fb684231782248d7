// RPC suite: a pipelining closed-loop load (bench/rpc-load.js: C connections x D requests in flight) against the
// pre-encoded echo server (bench/rpc-echo-server.js), for SOFA Bolt and Dubbo: direct, through Weft's RPC proxy
// (a route on the bench service) and through Weft's plain tcp_proxy on the same frames. The proxy runs alone on one
// core (--concurrency 1); the echo server and the load generator share the other. See bench/README.md.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStopping } from './cleanup.js';
import { fmtMs, fmtRps } from './report.js';
import { rpcFlags } from './report-rpc.js';
import { allowedCpus, pinTree, processTree, startProcess } from './procs.js';
import { captureExchange } from './rpc-capture.js';
import { PROTOCOLS } from './rpc-frames.js';
import { rpcBootstrap, rpcCheck } from './rpc-weft.js';
import { readTreeMemory, RssSampler } from './rss.js';
import { startWeft } from './weft.js';

export const RPC_MODES = ['direct', 'weft-rpc', 'weft-tcp'];

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const CLOCK_TICKS_PER_SEC = 100; // USER_HZ: 100 on every Linux architecture the bench runs on

/** utime + stime of a process tree, in ms. */
function cpuTimeMs(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]); // fields 14 and 15 of proc(5)
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
}

async function startEchoServer(cpu) {
  const proc = startProcess('rpc-echo', process.execPath, [path.join(BENCH_DIR, 'rpc-echo-server.js')], { cpu });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /^listening bolt=(\d+) dubbo=(\d+)$/m.exec(proc.out);
    if (m) return { proc, ports: { bolt: Number(m[1]), dubbo: Number(m[2]) } };
    if (!proc.running) break;
    await sleep(50);
  }
  await proc.stop();
  throw new Error(`RPC echo server did not start: ${proc.running ? 'no "listening" line within 20 s' : proc.describeExit()} ${proc.tail(600)}`);
}

/**
 * Runs bench/rpc-load.js pinned to `cpu`; calls onMarker('start' | 'end') at the edges of its measured window;
 * resolves its JSON report (rejects if it failed or printed none).
 */
async function runLoad({ protocol, port, opts, cpu, onMarker }) {
  const args = [path.join(BENCH_DIR, 'rpc-load.js'), '--protocol', protocol, '--port', String(port),
    '--connections', String(opts.rpcConnections), '--depth', String(opts.rpcDepth),
    '--duration', String(opts.durationSec), '--warmup', String(opts.warmupSec)];
  const proc = startProcess('rpc-load', process.execPath, args, { cpu });
  proc.child.stdout.on('data', (chunk) => {
    for (const m of chunk.toString('utf8').matchAll(/^measure (start|end)$/gm)) onMarker(m[1]);
  });
  const timer = setTimeout(() => proc.killGroup('SIGKILL'), (opts.durationSec + opts.warmupSec + 30) * 1000);
  await proc.exited;
  clearTimeout(timer);
  await proc.stop(0);
  const line = proc.out.split('\n').reverse().find((l) => l.startsWith('{'));
  if (proc.exitCode !== 0 || !line) throw new Error(`rpc-load ${proc.describeExit()}: ${proc.tail(600)}`);
  return { ...JSON.parse(line), args: ['node', ...args.map((a) => path.relative(process.cwd(), a) || a)] };
}

/** The load, with the proxy's RSS sampled and its CPU time measured around it (when there is a proxy). */
async function measure(protocol, port, opts, loadCpu, proc) {
  const sampler = proc ? new RssSampler(proc.pid, 200) : null;
  sampler?.start();
  const window = {};
  const onMarker = (edge) => {
    window[edge] = { at: performance.now(), cpuMs: proc ? cpuTimeMs(proc.pid) : 0 };
  };
  let mem = null;
  try {
    const load = await runLoad({ protocol, port, opts, cpu: loadCpu, onMarker });
    const { start, end } = window;
    // The proxy's CPU over the measured window only (/proc counts in 10 ms ticks: ±1 % over 1 s).
    const proxyCpuPct = proc && start && end ? (100 * (end.cpuMs - start.cpuMs)) / (end.at - start.at) : null;
    mem = sampler?.stop() ?? null;
    return { load, mem, proxyCpuPct };
  } finally {
    if (sampler && !mem) sampler.stop();
  }
}

async function runDirect(protocol, server, opts, cpus) {
  const [proxyCpu, loadCpu] = cpus;
  const cpu = `server ${proxyCpu}, load ${loadCpu}`;
  // Nothing sits in between, so the echo server takes the proxy's core (as nginx does in the HTTP/1.1 suite).
  pinTree(server.proc.pid, proxyCpu);
  try {
    const { load } = await measure(protocol, server.ports[protocol], opts, loadCpu, null);
    return { status: 'ok', protocol, mode: 'direct', cpu, load, flags: rpcFlags(load, server.proc) };
  } catch (err) {
    return { status: 'failed', protocol, mode: 'direct', cpu, reason: err.message };
  } finally {
    pinTree(server.proc.pid, loadCpu);
  }
}

async function runProxied(protocol, mode, server, sample, opts, cpus, repoRoot) {
  const [proxyCpu, loadCpu] = cpus;
  const cpu = `weft ${proxyCpu}, server+load ${loadCpu}`;
  const bootstrap = ({ adminPort, port }) => rpcBootstrap({ mode, protocol, service: sample.service, adminPort, port, upstreamPort: server.ports[protocol] });
  const check = (port) => rpcCheck(port, protocol, sample.request, 5000);
  let started;
  try {
    started = await startWeft({ cpu: proxyCpu, repoRoot, bin: opts.weftBin, bootstrap, check });
  } catch (err) {
    return { status: 'failed', protocol, mode, cpu, reason: err.message };
  }
  const { proc, port } = started;
  try {
    await sleep(500); // start-up garbage first
    const before = readTreeMemory(proc.pid);
    const affinity = allowedCpus(proc.pid);
    const { load, mem, proxyCpuPct } = await measure(protocol, port, opts, loadCpu, proc);
    return {
      status: 'ok',
      protocol,
      mode,
      cpu,
      pid: proc.pid,
      affinity,
      command: started.command,
      load,
      proxyCpuPct,
      memory: { beforeLoadRssBytes: before.vmRssBytes, peakRssBytes: mem.peakRssBytes, vmHwmBytes: mem.vmHwmBytes, samples: mem.samples, processes: before.processes },
      flags: rpcFlags(load, proc),
    };
  } catch (err) {
    return { status: 'failed', protocol, mode, cpu, reason: `during measurement: ${err.message}${proc.running ? '' : ` (${proc.describeExit()}: ${proc.tail(400)})`}` };
  } finally {
    await proc.stop();
  }
}

/**
 * Runs the selected modes (opts.rpcModes, subset of RPC_MODES) for each protocol of opts.rpcProtocols, one after the
 * other, against one echo server. `opts`: durationSec, warmupSec, rpcConnections, rpcDepth, weftBin.
 * Resolves { modes: { '<protocol> <mode>': result } }.
 */
export async function runRpcSuite({ opts, cpus, repoRoot, log }) {
  const [, loadCpu] = cpus;
  log(`rpc: starting the echo server on core ${loadCpu}`);
  const server = await startEchoServer(loadCpu);
  const results = {};
  try {
    for (const protocol of opts.rpcProtocols ?? PROTOCOLS) {
      // The harness's own copy of the captured request, for the readiness checks.
      const sample = await captureExchange(protocol);
      await rpcCheck(server.ports[protocol], protocol, sample.request, 5000);
      for (const mode of opts.rpcModes) {
        if (isStopping()) return { modes: results };
        log(`rpc ${protocol} ${mode}: running (${opts.warmupSec}s warm-up + ${opts.durationSec}s, ${opts.rpcConnections} connections x ${opts.rpcDepth} in flight)`);
        const r = mode === 'direct'
          ? await runDirect(protocol, server, opts, cpus)
          : await runProxied(protocol, mode, server, sample, opts, cpus, repoRoot);
        results[`${protocol} ${mode}`] = r;
        log(r.status === 'ok'
          ? `rpc ${protocol} ${mode}: ${fmtRps(r.load.rps)} req/s, p50 ${fmtMs(r.load.p50Ms)}, p99 ${fmtMs(r.load.p99Ms)}, errors ${r.load.errors}${r.flags.length ? ` [${r.flags.join('; ')}]` : ''}`
          : `rpc ${protocol} ${mode}: ${r.reason}`);
        await sleep(500);
      }
    }
  } finally {
    await server.proc.stop();
  }
  return { modes: results };
}
