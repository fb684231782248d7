import { histogramQuantiles, SUPPORTED_QUANTILES } from './histogram.js';
import type { HistogramSnapshot, StatSnapshotBase, StatsSnapshot } from './stats-snapshot.js';

/** Query of `/stats` and `/stats/prometheus` (Envoy's `filter`, `usedonly`, `type`). */
export interface StatsQuery {
  /** A regular expression searched in the full stat name (not anchored), as Envoy's `filter=`. */
  filter?: string;
  /** Only stats that were written at least once (Envoy's `usedonly`). */
  usedOnly?: boolean;
  /** Envoy's `type=`; default all. */
  type?: 'All' | 'Counters' | 'Gauges' | 'Histograms';
}

/** An invalid `filter` regex; the admin answers 400 with the message. */
export class StatsFilterError extends Error {
  readonly code = 'WEFT_ERR_STATS_FILTER';
  constructor(filter: string, cause: unknown) {
    super(`Invalid re2 regex: ${filter}`, { cause });
    this.name = 'StatsFilterError';
  }
}

/** Compiles the query once; throws StatsFilterError on a bad regex. */
export function statsPredicate(query: StatsQuery): (s: StatSnapshotBase) => boolean {
  let re: RegExp | undefined;
  if (query.filter !== undefined && query.filter !== '') {
    try {
      re = new RegExp(query.filter);
    } catch (err) {
      throw new StatsFilterError(query.filter, err);
    }
  }
  const usedOnly = query.usedOnly === true;
  return (s) => (!usedOnly || s.used) && (re === undefined || re.test(s.name));
}

function wants(query: StatsQuery, kind: 'Counters' | 'Gauges' | 'Histograms'): boolean {
  return query.type === undefined || query.type === 'All' || query.type === kind;
}

const byName = (a: StatSnapshotBase, b: StatSnapshotBase): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Envoy prints doubles in their shortest form; we round to 6 significant digits to hide interpolation noise. */
function formatQuantile(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return String(Number(v.toPrecision(6)));
}

/**
 * Quantile summary in Envoy's `P0(interval,cumulative) P25(…)` form. Weft keeps no interval histograms, so the
 * interval half is always `nan` (what Envoy prints before its first stats flush).
 */
export function quantileSummary(h: HistogramSnapshot): string {
  if (h.count === 0) return 'No recorded values';
  const values = histogramQuantiles(h.bounds, h.buckets, h.count, h.min, h.max);
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    parts.push(`P${formatQuantile((SUPPORTED_QUANTILES[i] as number) * 100)}(nan,${formatQuantile(values[i] as number)})`);
  }
  return parts.join(' ');
}

/**
 * Envoy's `/stats` text: counters and gauges as `name: value` sorted by name, then histograms (sorted) as quantile
 * summaries. Throws StatsFilterError on a bad filter.
 */
export function formatStatsText(snapshot: StatsSnapshot, query: StatsQuery = {}): string {
  const keep = statsPredicate(query);
  const scalars: Array<StatSnapshotBase & { value: number }> = [];
  if (wants(query, 'Counters')) for (const c of snapshot.counters) if (keep(c)) scalars.push(c);
  if (wants(query, 'Gauges')) for (const g of snapshot.gauges) if (keep(g)) scalars.push(g);
  scalars.sort(byName);
  let out = '';
  for (const s of scalars) out += `${s.name}: ${s.value}\n`;
  if (wants(query, 'Histograms')) {
    const hs = snapshot.histograms.filter(keep).sort(byName);
    for (const h of hs) out += `${h.name}: ${quantileSummary(h)}\n`;
  }
  return out;
}

interface JsonStat {
  name: string;
  value: number;
}

interface JsonHistograms {
  histograms: {
    supported_quantiles: number[];
    computed_quantiles: Array<{ name: string; values: Array<{ interval: null; cumulative: number | null }> }>;
  };
}

/** Envoy's `/stats?format=json`: `{"stats":[{name,value}…, {"histograms":{supported_quantiles, computed_quantiles}}]}`. */
export function formatStatsJson(snapshot: StatsSnapshot, query: StatsQuery = {}): string {
  const keep = statsPredicate(query);
  const scalars: Array<StatSnapshotBase & { value: number }> = [];
  if (wants(query, 'Counters')) for (const c of snapshot.counters) if (keep(c)) scalars.push(c);
  if (wants(query, 'Gauges')) for (const g of snapshot.gauges) if (keep(g)) scalars.push(g);
  scalars.sort(byName);
  const stats: Array<JsonStat | JsonHistograms> = scalars.map((s) => ({ name: s.name, value: s.value }));
  const hs = wants(query, 'Histograms') ? snapshot.histograms.filter(keep).sort(byName) : [];
  if (hs.length > 0) {
    stats.push({
      histograms: {
        supported_quantiles: SUPPORTED_QUANTILES.map((q) => Number((q * 100).toPrecision(6))),
        computed_quantiles: hs.map((h) => {
          const values = histogramQuantiles(h.bounds, h.buckets, h.count, h.min, h.max);
          return {
            name: h.name,
            values: values.map((v) => ({ interval: null, cumulative: Number.isNaN(v) ? null : Number(v.toPrecision(6)) })),
          };
        }),
      },
    });
  }
  return JSON.stringify({ stats });
}
