import type { HistogramUnit } from '../interfaces/stats.js';
import type { GaugeImportMode } from './counter-gauge.js';
import type { Tag } from './stat-meta.js';

/**
 * A plain, JSON-serialisable copy of a store, sent from worker processes to the main process (IPC) and merged
 * there for `/stats` and `/stats/prometheus`. Every entry carries its tag-extracted name and tags so the main
 * process can print Prometheus output without re-parsing names.
 */
export interface StatSnapshotBase {
  name: string;
  /** Omitted when equal to `name`. */
  tagExtractedName?: string;
  /** Omitted when empty. */
  tags?: Array<[string, string]>;
  used: boolean;
}

export interface CounterSnapshot extends StatSnapshotBase {
  value: number;
}

export interface GaugeSnapshot extends StatSnapshotBase {
  value: number;
  importMode: GaugeImportMode;
}

export interface HistogramSnapshot extends StatSnapshotBase {
  unit: HistogramUnit;
  bounds: number[];
  /** `bounds.length + 1` entries; the last is the overflow above the last bound. Not cumulative. */
  buckets: number[];
  count: number;
  sum: number;
  /** 0 when `count` is 0 (JSON has no Infinity). */
  min: number;
  max: number;
}

export interface StatsSnapshot {
  counters: CounterSnapshot[];
  gauges: GaugeSnapshot[];
  histograms: HistogramSnapshot[];
}

export function snapshotTags(s: StatSnapshotBase): readonly Tag[] {
  return s.tags ?? [];
}

export function snapshotExtractedName(s: StatSnapshotBase): string {
  return s.tagExtractedName ?? s.name;
}

/**
 * Merges snapshots of several processes into one:
 * - counters: summed;
 * - gauges with importMode `accumulate`: summed (connections, requests in flight, memory per worker);
 * - gauges with importMode `never`: the value of the first snapshot (in argument order) in which the gauge was
 *   used, else of the first that has it. The main process passes its own snapshot first so process-wide gauges
 *   (`server.live`, `server.uptime`, `server.hot_restart_epoch`) come from it;
 * - histograms: buckets, count and sum summed, min/max combined; differing bucket layouts are a broken invariant;
 * - `used` is OR-ed; names, tags and modes come from the first snapshot that has the stat.
 * The output lists stats in first-seen order.
 */
export function mergeSnapshots(snapshots: readonly StatsSnapshot[]): StatsSnapshot {
  const counters = new Map<string, CounterSnapshot>();
  const gauges = new Map<string, GaugeSnapshot>();
  const histograms = new Map<string, HistogramSnapshot>();
  for (const snap of snapshots) {
    for (const c of snap.counters) {
      const cur = counters.get(c.name);
      if (cur === undefined) counters.set(c.name, { ...c, ...copyTags(c) });
      else {
        cur.value += c.value;
        cur.used ||= c.used;
      }
    }
    for (const g of snap.gauges) {
      const cur = gauges.get(g.name);
      if (cur === undefined) gauges.set(g.name, { ...g, ...copyTags(g) });
      else if (cur.importMode === 'accumulate') {
        cur.value += g.value;
        cur.used ||= g.used;
      } else if (!cur.used && g.used) {
        cur.value = g.value;
        cur.used = true;
      }
    }
    for (const h of snap.histograms) {
      const cur = histograms.get(h.name);
      if (cur === undefined) {
        histograms.set(h.name, { ...h, ...copyTags(h), bounds: [...h.bounds], buckets: [...h.buckets] });
        continue;
      }
      if (!sameBounds(cur.bounds, h.bounds)) {
        throw Object.assign(new Error(`histogram ${h.name}: bucket layouts differ between snapshots`), {
          code: 'WEFT_ERR_STATS_BUCKETS',
        });
      }
      for (let i = 0; i < cur.buckets.length; i++) cur.buckets[i] = (cur.buckets[i] as number) + (h.buckets[i] ?? 0);
      if (h.count > 0) {
        cur.min = cur.count > 0 ? Math.min(cur.min, h.min) : h.min;
        cur.max = cur.count > 0 ? Math.max(cur.max, h.max) : h.max;
      }
      cur.count += h.count;
      cur.sum += h.sum;
      cur.used ||= h.used;
    }
  }
  return { counters: [...counters.values()], gauges: [...gauges.values()], histograms: [...histograms.values()] };
}

function copyTags(s: StatSnapshotBase): { tags?: Array<[string, string]> } {
  return s.tags === undefined ? {} : { tags: s.tags.map(([k, v]) => [k, v] as [string, string]) };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
