// User-space instructions per HTTP/1.1 request through Weft, counted by valgrind's callgrind: a repeatable measure of
// the proxy's own CPU cost on a shared, noisy machine (wall-clock throughput is not). Not a replacement for
// `npm run bench`: instructions are not time (kernel work, cache misses and IPC are left out).
//
//   node bench/instructions.js [--requests 10000] [--warmup 30000] [--top 30] [--weft-bin <path>] [--keep <dir>]
//
// --keep copies the main thread's callgrind dump and V8's perf map to <dir> (for callgrind_annotate --tree=caller).
//
// Starts nginx (the bench upstream) and `weft proxy` under callgrind with instrumentation off, opens 50 keep-alive
// connections, warms the JIT up with --warmup requests, then counts --requests requests on the same connections (no
// connection set-up inside the window) on the main thread only (the JIT compiler and GC helper threads are left out).
// Prints instructions per request and the top functions by self cost, JIT code named from V8's perf map.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet } from './lib/http-check.js';
import { startNginx } from './lib/nginx.js';
import { freePorts } from './lib/ports.js';
import { weftBootstrap, WEFT_BIN } from './lib/weft.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: weft-bench\r\nAccept: */*\r\n\r\n');
const BODY = 'hello world\n';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

async function openConnections(port, count) {
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
    sockets.push(s);
  }
  return sockets;
}

/** Closed loop: each connection sends its next request when a response body arrives; resolves after `total`. */
function load(sockets, total) {
  return new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    for (const s of sockets) {
      s.removeAllListeners('data');
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
        let at;
        while ((at = text.indexOf(BODY)) !== -1) {
          text = text.slice(at + BODY.length);
          if (++done === total) return resolve();
          if (sent < total) {
            sent++;
            s.write(REQUEST);
          }
        }
      });
      if (sent < total) {
        sent++;
        s.write(REQUEST);
      }
    }
  });
}

async function waitReady(adminPort, proc) {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`weft exited with ${proc.exitCode}`);
    try {
      if ((await httpGet(adminPort, '/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('weft not ready after 300 s under valgrind');
}

/** name of the JIT function at `addr`, from the sorted perf map. */
function jitName(map, addr) {
  let lo = 0;
  let hi = map.length - 1;
  let best;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid][0] <= addr) {
      best = map[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best && addr < best[0] + best[1] ? best[2].replace(`file://${ROOT}/packages/`, '') : undefined;
}

function report(outFile, pid, requests, top) {
  const map = readFileSync(`/tmp/perf-${pid}.map`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [a, s, ...n] = l.split(' ');
      return [parseInt(a, 16), parseInt(s, 16), n.join(' ')];
    })
    .sort((x, y) => x[0] - y[0]);
  const text = execFileSync('callgrind_annotate', ['--threshold=100', outFile], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const total = Number(/([\d,]+) \(100.0%\)\s+PROGRAM TOTALS/.exec(text)[1].replace(/,/g, ''));
  const byName = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    const addr = /^\?\?\?:0x([0-9a-f]+)/.exec(m[2]);
    const name = (addr && jitName(map, parseInt(addr[1], 16))) ?? m[2].replace(/\s*\[\/.*$/, '').slice(0, 110);
    byName.set(name, (byName.get(name) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  console.log(`instructions per request: ${Math.round(total / requests)} (main thread, ${requests} requests)`);
  for (const [name, n] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${String(Math.round(n / requests)).padStart(8)}  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}

async function main() {
  const requests = Number(option('requests', 10000));
  const warmup = Number(option('warmup', 30000));
  const top = Number(option('top', 30));
  const bin = option('weft-bin', path.join(ROOT, WEFT_BIN));
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-instructions-'));
  const nginx = await startNginx({ cpu: null });
  const [port, adminPort] = await freePorts(2);
  writeFileSync(path.join(dir, 'bootstrap.yaml'), weftBootstrap({ adminPort, port, upstreamPort: nginx.port }));
  const out = path.join(dir, 'callgrind.out');
  const args = ['-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all', '--separate-threads=yes', `--callgrind-out-file=${out}`];
  args.push(process.execPath, '--perf-basic-prof', bin, 'proxy', '-c', path.join(dir, 'bootstrap.yaml'), '--concurrency', '1', '--log-level', 'warn');
  const proc = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let sockets = [];
  try {
    await waitReady(adminPort, proc);
    sockets = await openConnections(port, 50);
    await load(sockets, warmup);
    execFileSync('callgrind_control', ['-i', 'on', String(proc.pid)], { stdio: 'ignore' });
    await load(sockets, requests);
    execFileSync('callgrind_control', ['-i', 'off', String(proc.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-d', String(proc.pid)], { stdio: 'ignore' });
    const main = readdirSync(dir).find((f) => f.startsWith('callgrind.out.') && f.endsWith('-01'));
    if (main === undefined) throw new Error('callgrind wrote no dump for the main thread');
    report(path.join(dir, main), proc.pid, requests, top);
    const keep = option('keep', undefined);
    if (keep !== undefined) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(path.join(dir, main), path.join(keep, 'callgrind.out'));
      copyFileSync(`/tmp/perf-${proc.pid}.map`, path.join(keep, 'perf.map'));
    }
  } finally {
    for (const s of sockets) s.destroy();
    proc.kill('SIGKILL');
    await nginx.proc.stop();
    rmSync(`/tmp/perf-${proc.pid}.map`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`instructions: ${err.message}`);
  process.exitCode = 1;
});
