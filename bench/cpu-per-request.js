// CPU cost per request of Weft (utime+stime of its process ÷ requests), which stays meaningful on a shared machine
// where wall-clock req/s is noise. h2load sends a fixed number of requests (-n) per downstream/upstream protocol pair:
//   node bench/cpu-per-request.js [--pairs=h2-h2,h1-h2,h2-h1,h1-h1] [--requests=200000] [--weft-bin=...]
// Pairs are <downstream>-<upstream>; the upstream is nginx (h2c or HTTP/1.1), downstream uses codec_type AUTO.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanupHandlers } from './lib/cleanup.js';
import { expectH2HelloWorld } from './lib/h2-check.js';
import { startNginx } from './lib/nginx.js';
import { startProcess } from './lib/procs.js';
import { startWeft } from './lib/weft.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const pairs = arg('pairs', 'h2-h2,h1-h2,h2-h1,h1-h1').split(',');
const requests = Number(arg('requests', '200000'));
const bin = arg('weft-bin', path.join(root, 'packages', 'cli', 'bin', 'weft.js'));
const TICK_US = 1e6 / 100; // USER_HZ

function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // utime, stime (fields 14, 15)
}

async function h2load(port, h1, n) {
  const args = ['-t1', '-c10', '-m10', `-n${n}`, ...(h1 ? ['--h1'] : []), `http://127.0.0.1:${port}/`];
  const proc = startProcess('h2load', 'h2load', args, { cpu: 1 });
  await proc.exited;
  const m = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(proc.out);
  if (!m) throw new Error(`h2load: ${proc.tail(400)}`);
  return { done: Number(m[1]), ok: Number(m[2]), rps: /finished in [^,]+, ([\d.]+) req\/s/.exec(proc.out)?.[1] };
}

installCleanupHandlers();
const nginx = { h1: await startNginx({ cpu: 1 }), h2: await startNginx({ cpu: 1, h2c: true }) };
try {
  for (const pair of pairs) {
    const [down, up] = pair.split('-');
    const weft = await startWeft({ cpu: 0, upstreamPort: nginx[up].port, repoRoot: root, bin, h2: up === 'h2', check: expectH2HelloWorld });
    try {
      await h2load(weft.port, down === 'h1', Math.min(20000, requests)); // warm-up (JIT)
      const before = cpuUs(weft.proc.pid);
      const r = await h2load(weft.port, down === 'h1', requests);
      const us = (cpuUs(weft.proc.pid) - before) / r.done;
      console.log(`${pair}: ${us.toFixed(1)} µs CPU/request (${r.ok}/${r.done} ok, ${r.rps} req/s wall)`);
    } finally {
      await weft.proc.stop();
    }
  }
} finally {
  await nginx.h1.proc.stop();
  await nginx.h2.proc.stop();
  process.exit(0);
}
