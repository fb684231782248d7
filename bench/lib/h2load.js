// Runs h2load (nghttp2-client) with h2c prior knowledge and parses its report and its per-request log.
import { readFileSync } from 'node:fs';
import { summarizeLatencies } from './percentiles.js';
import { startProcess } from './procs.js';

const MS_PER_UNIT = { us: 1e-3, ms: 1, s: 1e3 };

/** "847us" / "9.03ms" / "1.20s" (h2load's units) -> milliseconds, or null. */
export function parseH2loadTime(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(String(text).trim());
  if (!m) return null;
  // divide for us: 847 / 1000 is exactly 0.847, 847 * 1e-3 is not
  return m[2] === 'us' ? Number(m[1]) / 1000 : Number(m[1]) * MS_PER_UNIT[m[2]];
}

/**
 * Parses h2load's text report. Returns { rps, protocol, requests: { total, started, done, succeeded, failed, errored,
 * timeout }, status: { '2xx', '3xx', '4xx', '5xx' }, timeForRequest: { minMs, maxMs, meanMs, sdMs }, errors,
 * parsed, ok }. `errors` counts failed requests (h2load's "failed" already includes errored, timed-out and non-2xx/3xx
 * ones); `ok` is false when something could not be parsed, the protocol was not h2c, nothing was done or anything
 * failed.
 */
export function parseH2loadOutput(text) {
  const fin = /^finished in [\d.]+\w+, ([\d.]+) req\/s/m.exec(text);
  const req = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(text);
  const st = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(text);
  const tfr = /^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(text);
  const proto = /^Application protocol: (\S+)/m.exec(text);
  const requests = req
    ? { total: +req[1], started: +req[2], done: +req[3], succeeded: +req[4], failed: +req[5], errored: +req[6], timeout: +req[7] }
    : null;
  const result = {
    rps: fin ? Number(fin[1]) : null,
    protocol: proto ? proto[1] : null,
    requests,
    status: st ? { '2xx': +st[1], '3xx': +st[2], '4xx': +st[3], '5xx': +st[4] } : null,
    timeForRequest: tfr
      ? { minMs: parseH2loadTime(tfr[1]), maxMs: parseH2loadTime(tfr[2]), meanMs: parseH2loadTime(tfr[3]), sdMs: parseH2loadTime(tfr[4]) }
      : null,
    errors: requests ? requests.failed : null,
  };
  result.parsed = result.rps !== null && requests !== null;
  result.ok = result.parsed && result.protocol === 'h2c' && result.errors === 0 && requests.done > 0;
  return result;
}

/**
 * Parses h2load's --log-file (one line per request: start time in us since the epoch, status code, us until the end of
 * the response). Returns { latenciesMs: Float64Array, statuses: { [code]: count }, malformed, unrecorded } where
 * `malformed` counts lines that are not three numeric fields and `unrecorded` the status-0 lines left out.
 */
export function parseH2loadLog(text) {
  const lines = text.split('\n');
  const latenciesMs = new Float64Array(lines.length);
  const statuses = {};
  let n = 0;
  let malformed = 0;
  let unrecorded = 0;
  for (const line of lines) {
    if (line === '') continue;
    const [start, status, us] = line.split('\t');
    if (!/^\d+$/.test(start ?? '') || !/^-?\d+$/.test(status ?? '') || !/^\d+$/.test(us ?? '')) {
      malformed++;
      continue;
    }
    // Status 0: a request started in the warm-up whose response h2load did not record; its time spans the
    // boundary, so it is left out of the latencies (h2load's own report counts it as succeeded).
    if (status === '0') {
      unrecorded++;
      continue;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    latenciesMs[n++] = Number(us) / 1000;
  }
  return { latenciesMs: latenciesMs.subarray(0, n), statuses, malformed, unrecorded };
}

/** Report + log combined: the latency percentiles come from the per-request log. */
export function h2loadReport(text, logText) {
  const report = parseH2loadOutput(text);
  const log = parseH2loadLog(logText);
  const latency = summarizeLatencies(log.latenciesMs);
  const parsed = report.parsed && latency.count > 0;
  return {
    ...report,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    latency,
    logStatuses: log.statuses,
    logMalformed: log.malformed,
    parsed,
    ok: report.ok && parsed && log.malformed === 0,
  };
}

/**
 * `taskset -c <cpu> h2load -t<threads> -c<clients> -m<streams> -D <duration> --warm-up-time <warmup> --log-file <file>
 * http://127.0.0.1:<port><path>` (plain http:// = h2c with prior knowledge), optionally at a fixed `rps` per client
 * and POSTing `dataFile` with extra `headers`. Killed if it overruns the run by 15 s.
 * Resolves the parsed report plus `raw` and `args`; rejects if h2load could not run.
 */
export async function runH2load({ port, durationSec, warmupSec, clients, streams, cpu, logFile, rps, dataFile, headers = [], path = '/', threads = 1 }) {
  const args = [`-t${threads}`, `-c${clients}`, `-m${streams}`, '-D', String(durationSec)];
  if (warmupSec > 0) args.push(`--warm-up-time=${warmupSec}`);
  // --rps: each client sends at this rate whatever the responses do (open loop while streams are free).
  if (rps !== undefined) args.push(`--rps=${rps}`);
  if (dataFile !== undefined) args.push('-d', dataFile);
  for (const h of headers) args.push('-H', h);
  args.push(`--log-file=${logFile}`, `http://127.0.0.1:${port}${path}`);
  const proc = startProcess('h2load', 'h2load', args, { cpu });
  const timer = setTimeout(() => proc.killGroup('SIGKILL'), (durationSec + warmupSec + 15) * 1000);
  await proc.exited;
  clearTimeout(timer);
  await proc.stop(0);
  const raw = proc.out;
  if (proc.spawnError || proc.exitCode !== 0) throw new Error(`h2load ${proc.describeExit()}: ${proc.tail(600)}`);
  let logText = '';
  try {
    logText = readFileSync(logFile, 'utf8');
  } catch {
    // no log: h2load made no request; the report says why
  }
  return { ...h2loadReport(raw, logText), raw, args: ['h2load', ...args] };
}
