// Tables, ratios and targets of the HTTP/2 and gRPC suites.
import { fmtMiB, fmtMs, fmtRps, medianIndex, table } from './report.js';

export const H2_TARGETS = { rpsRatioMin: 0.6 };
export const GRPC_TARGETS = { addedP99MaxMs: 0.3 };

const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'MET' : 'MISSED');
const v = (x, digits, suffix = '') => (x === null || x === undefined ? 'n/a' : `${x.toFixed(digits)}${suffix}`);
const ok = (r) => (r?.status === 'ok' ? r : null);

/** Failed modes become a FAILED row with their reason printed under the table. */
function withFailures(modes, columns, row) {
  const rows = [];
  const notes = [];
  for (const [name, r] of Object.entries(modes)) {
    if (r.status === 'failed') {
      rows.push([name, r.cpu ?? '-', ...Array(columns - 3).fill('-'), 'FAILED']);
      notes.push(`${name}: ${r.reason}`);
    } else {
      rows.push([name, r.cpu, ...row(r), r.flags.length ? r.flags.join('; ') : 'ok']);
    }
  }
  return { rows, notes: notes.length ? `\n\n${notes.join('\n')}` : '' };
}

function h2ErrorsCell(h) {
  if (h.errors === null) return '-';
  if (h.errors === 0) return '0';
  const parts = [`failed ${h.requests.failed}`];
  if (h.requests.errored) parts.push(`errored ${h.requests.errored}`);
  if (h.requests.timeout) parts.push(`timeout ${h.requests.timeout}`);
  if (h.status) for (const k of ['4xx', '5xx']) if (h.status[k]) parts.push(`${k} ${h.status[k]}`);
  return parts.join(', ');
}

export function formatH2Results(modes) {
  const header = ['mode', 'cpu', 'req/s', 'p50', 'p99', 'errors', 'RSS idle', 'RSS peak', 'VmHWM', 'flag'];
  const { rows, notes } = withFailures(modes, header.length, (r) => [
    fmtRps(r.h2load.rps), fmtMs(r.h2load.p50Ms), fmtMs(r.h2load.p99Ms), h2ErrorsCell(r.h2load),
    fmtMiB(r.memory?.idleRssBytes), fmtMiB(r.memory?.peakRssBytes), fmtMiB(r.memory?.vmHwmBytes),
  ]);
  return table(header, rows) + notes;
}

/** Weft / HAProxy over HTTP/2; null values when a side is missing. */
export function computeH2Ratios(modes) {
  const w = ok(modes.weft);
  const h = ok(modes.haproxy);
  const rpsRatio = w && h && h.h2load.rps ? w.h2load.rps / h.h2load.rps : null;
  const p99Ratio = w && h && h.h2load.p99Ms ? w.h2load.p99Ms / h.h2load.p99Ms : null;
  return {
    weftOverHaproxyRps: rpsRatio,
    weftP99OverHaproxyP99: p99Ratio,
    meets: { rps: rpsRatio === null ? null : rpsRatio >= H2_TARGETS.rpsRatioMin },
  };
}

function missingNote(modes, other, otherName) {
  if (!ok(modes.weft)) return '\nratios n/a: (Weft did not run)';
  if (!ok(modes[other])) return `\nratios n/a: (${otherName} did not run)`;
  return '';
}

export function formatH2Ratios(ratios, modes) {
  const rows = [
    ['Weft / HAProxy req/s (HTTP/2)', v(ratios.weftOverHaproxyRps, 2), `>= ${H2_TARGETS.rpsRatioMin.toFixed(2)}`, verdict(ratios.meets.rps)],
    ['Weft p99 / HAProxy p99 (HTTP/2)', v(ratios.weftP99OverHaproxyP99, 2), '(info)', ''],
  ];
  return table(['ratio', 'value', 'target', 'verdict'], rows) + missingNote(modes, 'haproxy', 'HAProxy');
}

function grpcErrorsCell(l) {
  const parts = Object.entries(l.errorsBy).map(([k, n]) => `${k} ${n}`);
  if (l.unfinished) parts.push(`unanswered ${l.unfinished}`);
  return parts.length ? parts.join(', ') : '0';
}

export function formatGrpcResults(modes) {
  const header = ['mode', 'cpu', 'calls/s', 'ok', 'p50', 'p99', 'p99.9', 'max', 'errors', 'send lag p99', 'RSS peak', 'flag'];
  const { rows, notes } = withFailures(modes, header.length, (r) => [
    fmtRps(r.load.achievedRps), r.load.ok, fmtMs(r.load.latency.p50Ms), fmtMs(r.load.latency.p99Ms),
    fmtMs(r.load.latency.p999Ms), fmtMs(r.load.latency.maxMs), grpcErrorsCell(r.load), fmtMs(r.load.lag.p99Ms),
    fmtMiB(r.memory?.peakRssBytes),
  ]);
  return table(header, rows) + notes;
}

/** p99 added by one proxy hop (proxied p99 - direct p99, ms); null when a side is missing. */
export function computeGrpcRatios(modes) {
  const d = ok(modes.direct);
  const added = (r) => (d && r && d.load.latency.p99Ms !== null && r.load.latency.p99Ms !== null ? r.load.latency.p99Ms - d.load.latency.p99Ms : null);
  const weftAddedP99Ms = added(ok(modes.weft));
  return {
    weftAddedP99Ms,
    haproxyAddedP99Ms: added(ok(modes.haproxy)),
    meets: { addedP99: weftAddedP99Ms === null ? null : weftAddedP99Ms <= GRPC_TARGETS.addedP99MaxMs },
  };
}

/**
 * The gRPC round to report when the modes ran several times, interleaved: the one with the median p99 Weft adds
 * (the higher middle one for an even count). Returns { index, values } like report.js's medianRound.
 */
export function medianGrpcRound(rounds) {
  const values = rounds.map((r) => computeGrpcRatios(r).weftAddedP99Ms);
  return { index: medianIndex(values.map((v) => (v === null ? null : -v))), values };
}

/** One line per proxy: the p99 it added in each round, the reported round marked. */
export function formatGrpcRounds(rounds, index) {
  const line = (label, key) => `${label} by round: ${rounds.map((r, i) => {
    const x = computeGrpcRatios(r)[key];
    return `${x === null ? 'n/a' : `${x.toFixed(3)} ms`}${i === index ? ' (shown)' : ''}`;
  }).join(', ')}`;
  return `${line('Weft p99 - direct p99', 'weftAddedP99Ms')}\n${line('HAProxy p99 - direct p99', 'haproxyAddedP99Ms')}`;
}

export function formatGrpcRatios(ratios, modes) {
  const rows = [
    ['Weft p99 - direct p99 (gRPC unary)', v(ratios.weftAddedP99Ms, 3, ' ms'), `<= ${GRPC_TARGETS.addedP99MaxMs} ms`, verdict(ratios.meets.addedP99)],
    ['HAProxy p99 - direct p99 (gRPC unary)', v(ratios.haproxyAddedP99Ms, 3, ' ms'), '(info)', ''],
  ];
  return table(['ratio', 'value', 'target', 'verdict'], rows) + missingNote(modes, 'direct', 'direct');
}
