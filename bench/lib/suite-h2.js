// HTTP/2 suite: h2load (h2c prior knowledge) against an nginx h2c upstream, direct / through Weft / through HAProxy
// (`proto h2` on both sides), same upstream and same h2load settings for every mode. See bench/README.md.
import path from 'node:path';
import { isStopping } from './cleanup.js';
import { expectH2HelloWorld } from './h2-check.js';
import { runH2load } from './h2load.js';
import { startHaproxy } from './haproxy.js';
import { startNginx } from './nginx.js';
import { fmtMs } from './report.js';
import { allowedCpus, makeTempDir, pinTree, processTree } from './procs.js';
import { memoryReport, RssSampler, settledTreeMemory } from './rss.js';
import { startWeft } from './weft.js';

export const H2_MODES = ['direct', 'weft', 'haproxy'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flags that make a mode "not clean" (exit code 1). */
export function h2Flags(report, proc) {
  const flags = [];
  if (!report.parsed) flags.push('h2load output not understood');
  else if (report.protocol !== 'h2c') flags.push(`protocol ${report.protocol ?? 'none'} (expected h2c)`);
  if (report.errors > 0) flags.push('ERRORS');
  if ((report.requests?.done ?? 0) === 0) flags.push('no requests');
  if (report.logMalformed > 0) flags.push(`${report.logMalformed} unreadable log lines`);
  if (proc && !proc.running) flags.push(`proxy ${proc.describeExit()} during load`);
  return flags;
}

function summarize(report) {
  const { raw: _raw, ...rest } = report;
  return rest;
}

async function measure(port, opts, loadCpu, proc, logDir, mode) {
  const sampler = proc ? new RssSampler(proc.pid, 200) : null;
  sampler?.start();
  let mem = null;
  try {
    const report = await runH2load({
      port,
      durationSec: opts.durationSec,
      warmupSec: opts.warmupSec,
      clients: opts.h2Clients,
      streams: opts.h2Streams,
      cpu: loadCpu,
      logFile: path.join(logDir, `${mode}.tsv`),
    });
    mem = sampler?.stop() ?? null;
    return { report, mem };
  } finally {
    if (sampler && !mem) sampler.stop();
  }
}

async function runDirect(upstream, opts, cpus, logDir) {
  const [proxyCpu, loadCpu] = cpus;
  // As in the HTTP/1 suite: with no proxy, the upstream takes the proxy's core instead of sharing h2load's.
  pinTree(upstream.proc.pid, proxyCpu);
  try {
    await expectH2HelloWorld(upstream.port);
    const affinity = processTree(upstream.proc.pid).map((pid) => `${pid}:${allowedCpus(pid)}`).join(' ');
    const { report } = await measure(upstream.port, opts, loadCpu, null, logDir, 'direct');
    return { status: 'ok', cpu: `nginx ${proxyCpu}, h2load ${loadCpu}`, affinity, h2load: summarize(report), raw: report.raw, flags: h2Flags(report, upstream.proc) };
  } finally {
    pinTree(upstream.proc.pid, loadCpu);
  }
}

async function runProxied(name, start, opts, cpus, logDir) {
  const [proxyCpu, loadCpu] = cpus;
  const cpu = `${name} ${proxyCpu}, nginx+h2load ${loadCpu}`;
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
    const { report, mem } = await measure(port, opts, loadCpu, proc, logDir, name);
    return {
      status: 'ok',
      cpu,
      pid: proc.pid,
      affinity,
      command: started.command,
      h2load: summarize(report),
      raw: report.raw,
      memory: memoryReport(idle, mem),
      flags: h2Flags(report, proc),
    };
  } catch (err) {
    return { status: 'failed', cpu, reason: `during measurement: ${err.message}${proc.running ? '' : ` (${proc.describeExit()}: ${proc.tail(400)})`}` };
  } finally {
    await proc.stop();
  }
}

/**
 * Runs the selected H2 modes one after the other against one nginx h2c upstream on the load core. `opts`: durationSec,
 * warmupSec, h2Clients, h2Streams, modes (subset of H2_MODES), weftBin. Resolves { modes: { [mode]: result } }.
 */
export async function runH2Suite({ opts, cpus, repoRoot, log }) {
  const [proxyCpu, loadCpu] = cpus;
  const logDir = makeTempDir('weft-bench-h2load-');
  log(`h2: starting nginx h2c upstream on core ${loadCpu}`);
  const upstream = await startNginx({ cpu: loadCpu, h2c: true });
  const results = {};
  try {
    for (const mode of opts.modes) {
      if (isStopping()) break;
      log(`h2 ${mode}: running (${opts.warmupSec}s warm-up + ${opts.durationSec}s)`);
      if (mode === 'direct') {
        try {
          results.direct = await runDirect(upstream, opts, cpus, logDir);
        } catch (err) {
          results.direct = { status: 'failed', cpu: `nginx ${proxyCpu}, h2load ${loadCpu}`, reason: err.message };
        }
      } else if (mode === 'weft') {
        const start = () => startWeft({ cpu: proxyCpu, upstreamPort: upstream.port, repoRoot, bin: opts.weftBin, h2: true });
        results.weft = await runProxied('weft', start, opts, cpus, logDir);
      } else {
        const start = () => startHaproxy({ cpu: proxyCpu, upstreamPort: upstream.port, connections: opts.h2Clients, h2: true });
        results.haproxy = await runProxied('haproxy', start, opts, cpus, logDir);
      }
      const r = results[mode];
      log(r.status === 'ok'
        ? `h2 ${mode}: ${Math.round(r.h2load.rps ?? 0)} req/s, p50 ${fmtMs(r.h2load.p50Ms)}, p99 ${fmtMs(r.h2load.p99Ms)}${r.flags.length ? ` [${r.flags.join('; ')}]` : ''}`
        : `h2 ${mode}: ${r.reason}`);
      await sleep(500);
    }
  } finally {
    await upstream.proc.stop();
  }
  return { modes: results };
}
