// Hot-upgrade benchmark: wrk keeps HTTP/1.1 keep-alive load on a Weft proxy (nginx upstream) while the proxy is
// hot-upgraded N times through its admin API (what `weft upgrade` calls). Reports, per upgrade, the time from the
// trigger to the new process serving and until the old process exited, and for the whole run the requests served
// and how many failed (must be 0).
//   npm run bench:upgrade
//   node bench/upgrade.js --upgrades=10 --interval=1.5 --connections=50 --drain=2
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startNginx } from './lib/nginx.js';
import { ensureCommands } from './lib/procs.js';
import { startWeft } from './lib/weft.js';
import { runWrk } from './lib/wrk.js';
import { summarizeLatencies } from './lib/percentiles.js';

const { values } = parseArgs({
  options: {
    upgrades: { type: 'string', default: '10' },
    interval: { type: 'string', default: '1.5' },
    connections: { type: 'string', default: '50' },
    drain: { type: 'string', default: '2' },
  },
});
const upgrades = Number(values.upgrades);
const intervalMs = Number(values.interval) * 1000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function hotUpgrade(adminPort) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: adminPort, method: 'POST', path: '/hot_upgrade', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`admin /hot_upgrade answered ${res.statusCode}: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves the ms from `since` until `pid` is gone (polled every 20 ms). */
async function exitedAfter(pid, since) {
  while (alive(pid)) await sleep(20);
  return performance.now() - since;
}

async function main() {
  ensureCommands([{ cmd: 'wrk', pkg: 'wrk' }, { cmd: 'nginx', pkg: 'nginx-light' }], (m) => console.log(m));
  const upstream = await startNginx({ cpu: 1 });
  // The proxy's own drain time bounds how long each old process lingers.
  const weft = await startWeft({ cpu: 0, upstreamPort: upstream.port, repoRoot, extraArgs: ['--drain-time', values.drain] });
  const pids = new Set([weft.proc.pid]);
  const durationSec = Math.ceil((2000 + upgrades * intervalMs + 2000) / 1000);
  const load = runWrk({ port: weft.port, durationSec, connections: Number(values.connections), cpu: 1 });
  const results = [];
  const exits = [];
  try {
    await sleep(2000);
    for (let i = 0; i < upgrades; i++) {
      const started = performance.now();
      const report = await hotUpgrade(weft.adminPort);
      results.push(report);
      if (!report.ok) throw new Error(`upgrade ${i + 1} aborted: ${report.reason}`);
      pids.add(report.new_pid);
      exits.push(exitedAfter(report.old_pid, started));
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
    const wrk = await load;
    const oldExitMs = await Promise.all(exits);
    const ready = summarizeLatencies(results.map((r) => r.ready_ms));
    const exited = summarizeLatencies(oldExitMs);
    console.log(`\nHot upgrade under wrk -c${values.connections} keep-alive load (${upgrades} upgrades, ${values.interval}s apart, drain ${values.drain}s)`);
    console.log(`  requests served:             ${wrk.requests}  (${Math.round(wrk.rps)} req/s)`);
    console.log(`  failed requests:             ${wrk.errors}  (non-2xx ${wrk.non2xx3xx}, socket ${JSON.stringify(wrk.socketErrors)})`);
    console.log(`  trigger -> new serving (ms): p50 ${ready.p50Ms.toFixed(1)}  max ${ready.maxMs.toFixed(1)}`);
    console.log(`  trigger -> old exited (ms):  p50 ${exited.p50Ms.toFixed(0)}  max ${exited.maxMs.toFixed(0)}`);
    console.log(`  latency under upgrades:      p50 ${wrk.p50Ms} ms  p99 ${wrk.p99Ms} ms`);
    if (wrk.errors !== 0) process.exitCode = 1;
  } finally {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await weft.proc.stop();
    await upstream.proc.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
