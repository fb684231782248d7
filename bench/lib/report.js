// Table and ratio formatting for the console report.
import { toMiB } from './rss.js';

// The idle target is 60 MB; read strictly as 60,000,000 bytes (57.2 MiB).
export const TARGETS = { rpsRatioMin: 0.75, p99RatioMax: 2, rssIdleMaxBytes: 60_000_000 };

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} us`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

export const fmtRps = (rps) => (rps === null || rps === undefined ? '-' : Math.round(rps).toLocaleString('en-US'));
export const fmtMiB = (bytes) => (bytes ? `${toMiB(bytes).toFixed(1)} MiB` : '-');

function errorsCell(r) {
  if (!r.wrk) return '-';
  const s = r.wrk.socketErrors;
  if (r.wrk.errors === 0) return '0';
  const parts = [];
  if (r.wrk.non2xx3xx) parts.push(`non2xx/3xx ${r.wrk.non2xx3xx}`);
  for (const k of ['connect', 'read', 'write', 'timeout']) if (s[k]) parts.push(`${k} ${s[k]}`);
  return parts.join(', ');
}

export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Results table: one row per mode; failed modes show their reason below the table. */
export function formatResults(modes) {
  const header = ['mode', 'cpu', 'req/s', 'p50', 'p99', 'errors', 'RSS idle', 'RSS peak', 'VmHWM', 'flag'];
  const rows = [];
  const notes = [];
  for (const [name, r] of Object.entries(modes)) {
    if (r.status === 'failed') {
      rows.push([name, r.cpu ?? '-', '-', '-', '-', '-', '-', '-', '-', 'FAILED']);
      notes.push(`${name}: ${r.reason}`);
      continue;
    }
    const flag = r.flags.length ? r.flags.join('; ') : 'ok';
    rows.push([
      name, r.cpu, fmtRps(r.wrk.rps), fmtMs(r.wrk.p50Ms), fmtMs(r.wrk.p99Ms), errorsCell(r),
      fmtMiB(r.memory?.idleRssBytes), fmtMiB(r.memory?.peakRssBytes), fmtMiB(r.memory?.vmHwmBytes), flag,
    ]);
  }
  return table(header, rows) + (notes.length ? `\n\n${notes.join('\n')}` : '');
}

/** Weft vs HAProxy ratios with their targets; every value is null when a side is missing. */
export function computeRatios(modes) {
  const w = modes.weft?.status === 'ok' ? modes.weft : null;
  const h = modes.haproxy?.status === 'ok' ? modes.haproxy : null;
  const rpsRatio = w && h && h.wrk.rps ? w.wrk.rps / h.wrk.rps : null;
  const p99Ratio = w && h && h.wrk.p99Ms ? w.wrk.p99Ms / h.wrk.p99Ms : null;
  const rssIdleMiB = w?.memory ? toMiB(w.memory.idleRssBytes) : null;
  return {
    weftOverHaproxyRps: rpsRatio,
    weftP99OverHaproxyP99: p99Ratio,
    weftRssIdleMiB: rssIdleMiB,
    weftRssAtStartMiB: w?.memory?.startRssBytes ? toMiB(w.memory.startRssBytes) : null,
    weftRssPeakMiB: w?.memory ? toMiB(w.memory.peakRssBytes) : null,
    meets: {
      rps: rpsRatio === null ? null : rpsRatio >= TARGETS.rpsRatioMin,
      p99: p99Ratio === null ? null : p99Ratio <= TARGETS.p99RatioMax,
      rssIdle: w?.memory ? w.memory.idleRssBytes <= TARGETS.rssIdleMaxBytes : null,
    },
  };
}

/**
 * The index of the median of `values` (the lower middle one for an even count), null entries passed over; 0 when
 * none is a number. Callers pass values ordered so that the lower middle is the less flattering one for Weft.
 */
export function medianIndex(values) {
  const ranked = values.map((v, i) => [v, i]).filter(([v]) => v !== null).sort((a, b) => a[0] - b[0]);
  return ranked.length === 0 ? 0 : ranked[(ranked.length - 1) >> 1][1];
}

/**
 * The round to report when the HTTP/1.1 modes ran several times, interleaved: the one with the median Weft/HAProxy
 * req/s ratio (the lower middle one for an even count). A round is a whole same-run comparison, so its p99 and RSS
 * readings come with it. Rounds without a ratio (a mode failed) are passed over unless no round has one.
 * Returns { index, values }: values are the rounds' ratios in round order (null where missing).
 */
export function medianRound(rounds) {
  const values = rounds.map((r) => computeRatios(r).weftOverHaproxyRps);
  return { index: medianIndex(values), values };
}

export function formatRatios(ratios, modes) {
  const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'MET' : 'MISSED');
  const missing = modes.weft?.status !== 'ok' ? ' (Weft did not run)' : modes.haproxy?.status !== 'ok' ? ' (HAProxy did not run)' : '';
  const v = (x, digits, suffix = '') => (x === null ? 'n/a' : `${x.toFixed(digits)}${suffix}`);
  const rows = [
    ['Weft / HAProxy req/s', v(ratios.weftOverHaproxyRps, 2), `>= ${TARGETS.rpsRatioMin.toFixed(2)}`, verdict(ratios.meets.rps)],
    ['Weft p99 / HAProxy p99', v(ratios.weftP99OverHaproxyP99, 2), `<= ${TARGETS.p99RatioMax.toFixed(2)}`, verdict(ratios.meets.p99)],
    ['Weft RSS idle (10 s)', v(ratios.weftRssIdleMiB, 1, ' MiB'), `<= ${(TARGETS.rssIdleMaxBytes / 1e6).toFixed(0)} MB (${toMiB(TARGETS.rssIdleMaxBytes).toFixed(1)} MiB)`, verdict(ratios.meets.rssIdle)],
    ['Weft RSS 0.5 s after start', v(ratios.weftRssAtStartMiB, 1, ' MiB'), '(info)', ''],
    ['Weft RSS peak under load', v(ratios.weftRssPeakMiB, 1, ' MiB'), '(info)', ''],
  ];
  return table(['ratio', 'value', 'target', 'verdict'], rows) + (missing ? `\nratios n/a:${missing}` : '');
}
