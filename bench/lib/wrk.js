// Runs wrk and parses its text report.
import { startProcess } from './procs.js';

const MS_PER_UNIT = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** "512.34us" / "1.20ms" / "2.00s" -> milliseconds, or null. */
export function parseWrkTime(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) return null;
  // divide for us: 701 / 1000 is exactly 0.701, 701 * 1e-3 is not
  return m[2] === 'us' ? Number(m[1]) / 1000 : Number(m[1]) * MS_PER_UNIT[m[2]];
}

/**
 * Parses wrk's report. Returns { rps, p50Ms, p99Ms, requests, non2xx3xx, socketErrors: {connect, read, write,
 * timeout}, errors (total), ok } where `ok` is false if anything could not be parsed or any error was reported.
 */
export function parseWrkOutput(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm').exec(text);
    return m ? parseWrkTime(m[1]) : null;
  };
  const sock = /Socket errors:\s*connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock
    ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xx3xx = num(/Non-2xx or 3xx responses:\s*(\d+)/) ?? 0;
  const result = {
    rps: num(/^Requests\/sec:\s*([\d.]+)/m),
    p50Ms: pct(50),
    p99Ms: pct(99),
    requests: num(/^\s*(\d+) requests in /m),
    non2xx3xx,
    socketErrors,
    errors: non2xx3xx + socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
  };
  result.parsed = result.rps !== null && result.p50Ms !== null && result.p99Ms !== null;
  result.ok = result.parsed && result.errors === 0 && (result.requests ?? 0) > 0;
  return result;
}

/**
 * `taskset -c <cpu> wrk -t<threads> -c<connections> -d<seconds>s --latency http://127.0.0.1:<port>/`.
 * Resolves the parsed report plus `raw` (wrk's output) and `args`.
 */
export async function runWrk({ port, durationSec, connections, threads = 1, cpu }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationSec}s`, '--latency', `http://127.0.0.1:${port}/`];
  const proc = startProcess('wrk', 'wrk', args, { cpu });
  await proc.exited;
  await proc.stop(0);
  const raw = proc.out;
  if (proc.spawnError || proc.exitCode !== 0) {
    throw new Error(`wrk ${proc.describeExit()}: ${proc.tail(600)}`);
  }
  return { ...parseWrkOutput(raw), raw, args: ['wrk', ...args] };
}
