import type { Tag } from './stat-meta.js';
import { snapshotExtractedName, snapshotTags, type StatSnapshotBase, type StatsSnapshot } from './stats-snapshot.js';
import { statsPredicate, type StatsQuery } from './stats-text.js';
import { sanitizeMetricName } from './tag-extraction.js';

/** Content type of the text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusOptions extends StatsQuery {
  /**
   * Tag-extracted name prefixes printed without Envoy's `envoy_` prefix (Envoy's custom stat namespaces). Default
   * `['istio']`, so `istio_requests_total` stays `istio_requests_total`.
   */
  unprefixedNamespaces?: readonly string[];
}

type MetricType = 'counter' | 'gauge' | 'histogram';

interface Family {
  readonly type: MetricType;
  /** Label text (`{a="b"}` or '') → the sample lines of that series. */
  readonly series: Map<string, string>;
}

/** Prometheus name of a tag-extracted stat name: `envoy_` + sanitised name, unless in an unprefixed namespace. */
export function prometheusMetricName(extracted: string, unprefixed: readonly string[] = ['istio']): string {
  for (const ns of unprefixed) {
    if (extracted.startsWith(`${ns}_`) || extracted.startsWith(`${ns}.`)) return sanitizeMetricName(extracted);
  }
  return `envoy_${sanitizeMetricName(extracted)}`;
}

function labelName(name: string): string {
  const s = sanitizeMetricName(name);
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** Labels as `k="v",k2="v2"` (no braces); duplicate label names keep the first. */
function labelBody(tags: readonly Tag[]): string {
  let out = '';
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    const n = labelName(k);
    if (seen.has(n)) continue;
    seen.add(n);
    out += `${out === '' ? '' : ','}${n}="${escapeLabelValue(v)}"`;
  }
  return out;
}

/** Sample values: integers as integers, the rest in JS shortest form; non-finite as Prometheus spells them. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Bucket bounds the way Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints them (`0.5`, `300000`, `3.6e+06`). */
export function formatBucketBound(v: number): string {
  if (v === 0) return '0';
  const [mant = '0', expStr = '0'] = v.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/**
 * The Prometheus text exposition of a snapshot (Envoy's `/stats/prometheus`): one `# TYPE` line per family,
 * families sorted by name and contiguous, series sorted by labels. A stat whose family name is already taken by a
 * different metric type, or that repeats a series, is left out (a valid exposition matters more than it).
 */
export function formatPrometheus(snapshot: StatsSnapshot, options: PrometheusOptions = {}): string {
  const keep = statsPredicate(options);
  const unprefixed = options.unprefixedNamespaces ?? ['istio'];
  const families = new Map<string, Family>();
  // Names a histogram family occupies with its suffixes, so no counter/gauge can reuse them.
  const taken = new Map<string, MetricType>();

  const familyFor = (s: StatSnapshotBase, type: MetricType): Family | undefined => {
    const name = prometheusMetricName(snapshotExtractedName(s), unprefixed);
    const owner = taken.get(name);
    if (owner !== undefined && owner !== type) return undefined;
    let f = families.get(name);
    if (f === undefined) {
      if (type === 'histogram') {
        for (const suffix of ['_bucket', '_sum', '_count']) {
          if (taken.has(name + suffix)) return undefined;
        }
        for (const suffix of ['_bucket', '_sum', '_count']) taken.set(name + suffix, type);
      }
      f = { type, series: new Map() };
      families.set(name, f);
      taken.set(name, type);
    }
    return f.type === type ? f : undefined;
  };

  const wants = (kind: 'Counters' | 'Gauges' | 'Histograms'): boolean =>
    options.type === undefined || options.type === 'All' || options.type === kind;

  const scalar = (s: StatSnapshotBase & { value: number }, type: MetricType): void => {
    if (!keep(s)) return;
    const f = familyFor(s, type);
    if (f === undefined) return;
    const body = labelBody(snapshotTags(s));
    const key = body === '' ? '' : `{${body}}`;
    if (!f.series.has(key)) f.series.set(key, `${key} ${formatSampleValue(s.value)}\n`);
  };

  if (wants('Counters')) for (const c of snapshot.counters) scalar(c, 'counter');
  if (wants('Gauges')) for (const g of snapshot.gauges) scalar(g, 'gauge');
  if (wants('Histograms')) {
    for (const h of snapshot.histograms) {
      if (!keep(h)) continue;
      const f = familyFor(h, 'histogram');
      if (f === undefined) continue;
      const body = labelBody(snapshotTags(h));
      const key = body === '' ? '' : `{${body}}`;
      if (f.series.has(key)) continue;
      const sep = body === '' ? '' : ',';
      let text = '';
      let cumulative = 0;
      for (let i = 0; i < h.bounds.length; i++) {
        cumulative += h.buckets[i] ?? 0;
        text += `_bucket{${body}${sep}le="${formatBucketBound(h.bounds[i] as number)}"} ${formatSampleValue(cumulative)}\n`;
      }
      text += `_bucket{${body}${sep}le="+Inf"} ${formatSampleValue(h.count)}\n`;
      text += `_sum${key} ${formatSampleValue(h.sum)}\n`;
      text += `_count${key} ${formatSampleValue(h.count)}\n`;
      f.series.set(key, text);
    }
  }

  const names = [...families.keys()].sort();
  let out = '';
  for (const name of names) {
    const f = families.get(name) as Family;
    out += `# TYPE ${name} ${f.type}\n`;
    const keys = [...f.series.keys()].sort();
    for (const k of keys) {
      const text = f.series.get(k) as string;
      if (f.type === 'histogram') {
        // Each line of a histogram series starts with a suffix; prefix every line with the family name.
        for (const line of text.split('\n')) if (line !== '') out += `${name}${line}\n`;
      } else {
        out += name + text;
      }
    }
  }
  return out;
}
