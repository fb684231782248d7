import type { Counter, Gauge, Histogram, HistogramUnit, Labels, Scope } from '../interfaces/stats.js';
import { CounterImpl, GaugeImpl, type GaugeImportMode } from './counter-gauge.js';
import { DEFAULT_BUCKETS, HistogramImpl } from './histogram.js';
import type { StatMeta, Tag } from './stat-meta.js';
import { mergeSnapshots, type StatSnapshotBase, type StatsSnapshot } from './stats-snapshot.js';
import { extractTags, orderTags, removeTagValue } from './tag-extraction.js';

export interface StatsStoreOptions {
  /**
   * Bucket bounds for a histogram by full name (Envoy's `stats_config.histogram_bucket_settings`); undefined →
   * Envoy's default buckets. An explicit `buckets` argument to `histogram()` wins over this.
   */
  histogramBuckets?: (name: string) => readonly number[] | undefined;
}

export interface AbsorbOptions {
  /** Also add `accumulate` gauges (default false: a finished process's gauges describe state that is gone). */
  gauges?: boolean;
}

function statsError(message: string): Error {
  return Object.assign(new Error(message), { code: 'WEFT_ERR_STATS' });
}

/**
 * A view of the store under a name prefix. Child scopes share the store, so the same full name always yields the
 * same handle whichever scope asks. A scope may carry tags: `root.scope('cluster.' + name, {[TagName.CLUSTER_NAME]:
 * name})` makes every stat under it carry the tag and removes the value from the tag-extracted name, so cluster
 * names with dots (`outbound|80||foo.default.svc.cluster.local`) are tagged exactly, never parsed back.
 */
export class StatsScope implements Scope {
  constructor(
    private readonly store: StatsStore,
    /** Full prefix without trailing dot; '' at the root. */
    readonly prefix: string,
    /** The prefix with explicit tag values removed. */
    readonly extractedPrefix: string,
    readonly tags: readonly Tag[],
  ) {}

  counter(name: string): Counter {
    const full = this.fullName(name);
    return this.store.counterWithMeta(full, () => this.meta(name));
  }

  gauge(name: string, importMode: GaugeImportMode = 'accumulate'): Gauge {
    const full = this.fullName(name);
    return this.store.gaugeWithMeta(full, importMode, () => this.meta(name));
  }

  histogram(name: string, unit: HistogramUnit = 'unspecified', buckets?: readonly number[]): Histogram {
    const full = this.fullName(name);
    return this.store.histogramWithMeta(full, unit, buckets, () => this.meta(name));
  }

  /** `prefix` may contain dots and a trailing dot (Envoy's `stat_prefix` style); `tags` values must occur in it. */
  scope(prefix: string, tags?: Labels): StatsScope {
    const seg = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
    let extractedSeg = seg;
    const newTags: Tag[] = [...this.tags];
    if (tags !== undefined) {
      for (const [k, v] of Object.entries(tags)) {
        const stripped = removeTagValue(extractedSeg, v);
        if (stripped === undefined) throw statsError(`scope '${seg}': tag ${k}='${v}' is not a segment of the prefix`);
        extractedSeg = stripped;
        newTags.push([k, v]);
      }
    }
    return new StatsScope(
      this.store,
      join(this.prefix, seg),
      join(this.extractedPrefix, extractedSeg),
      newTags,
    );
  }

  private fullName(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}.${name}`;
  }

  private meta(name: string): StatMeta {
    return extractTags(join(this.extractedPrefix, name), this.tags);
  }
}

function join(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return `${a}.${b}`;
}

/** The root of a process's stats (prefix ''). Hot paths keep the handles it returns. */
export class StatsStore implements Scope {
  private readonly counters = new Map<string, CounterImpl>();
  private readonly gauges = new Map<string, GaugeImpl>();
  private readonly histograms = new Map<string, HistogramImpl>();
  private readonly root: StatsScope;

  static merge(snapshots: readonly StatsSnapshot[]): StatsSnapshot {
    return mergeSnapshots(snapshots);
  }

  constructor(private readonly options: StatsStoreOptions = {}) {
    this.root = new StatsScope(this, '', '', []);
  }

  counter(name: string): Counter {
    return this.root.counter(name);
  }

  gauge(name: string, importMode: GaugeImportMode = 'accumulate'): Gauge {
    return this.root.gauge(name, importMode);
  }

  histogram(name: string, unit: HistogramUnit = 'unspecified', buckets?: readonly number[]): Histogram {
    return this.root.histogram(name, unit, buckets);
  }

  scope(prefix: string, tags?: Labels): StatsScope {
    return this.root.scope(prefix, tags);
  }

  /** A counter with an explicit tag-extracted name and tags (Istio metrics, restored snapshots). */
  taggedCounter(name: string, tagExtractedName: string, tags: readonly Tag[]): Counter {
    return this.counterWithMeta(name, () => ({ tagExtractedName, tags: orderTags(tags) }));
  }

  taggedGauge(name: string, tagExtractedName: string, tags: readonly Tag[], importMode: GaugeImportMode): Gauge {
    return this.gaugeWithMeta(name, importMode, () => ({ tagExtractedName, tags: orderTags(tags) }));
  }

  taggedHistogram(
    name: string,
    tagExtractedName: string,
    tags: readonly Tag[],
    unit: HistogramUnit,
    buckets?: readonly number[],
  ): Histogram {
    return this.histogramWithMeta(name, unit, buckets, () => ({ tagExtractedName, tags: orderTags(tags) }));
  }

  /** @internal used by scopes: get-or-create; `meta` is only computed on creation. */
  counterWithMeta(name: string, meta: () => StatMeta): CounterImpl {
    let c = this.counters.get(name);
    if (c === undefined) {
      c = new CounterImpl(name, meta());
      this.counters.set(name, c);
    }
    return c;
  }

  /** @internal */
  gaugeWithMeta(name: string, importMode: GaugeImportMode, meta: () => StatMeta): GaugeImpl {
    let g = this.gauges.get(name);
    if (g === undefined) {
      g = new GaugeImpl(name, importMode, meta());
      this.gauges.set(name, g);
    }
    return g;
  }

  /** @internal */
  histogramWithMeta(
    name: string,
    unit: HistogramUnit,
    buckets: readonly number[] | undefined,
    meta: () => StatMeta,
  ): HistogramImpl {
    let h = this.histograms.get(name);
    if (h === undefined) {
      const bounds = buckets ?? this.options.histogramBuckets?.(name) ?? DEFAULT_BUCKETS;
      validateBounds(name, bounds);
      h = new HistogramImpl(name, unit, bounds, meta());
      this.histograms.set(name, h);
    }
    return h;
  }

  snapshot(): StatsSnapshot {
    const out: StatsSnapshot = { counters: [], gauges: [], histograms: [] };
    for (const c of this.counters.values()) out.counters.push({ ...base(c.name, c.meta, c.used), value: c.v });
    for (const g of this.gauges.values()) {
      out.gauges.push({ ...base(g.name, g.meta, g.used), value: g.v, importMode: g.importMode });
    }
    for (const h of this.histograms.values()) {
      out.histograms.push({
        ...base(h.name, h.meta, h.used),
        unit: h.unit,
        bounds: [...h.bounds],
        buckets: Array.from(h.counts),
        count: h.count,
        sum: h.sum,
        min: h.count > 0 ? h.min : 0,
        max: h.count > 0 ? h.max : 0,
      });
    }
    return out;
  }

  /**
   * Adds a snapshot's values into this store, creating stats (with their tags) that do not exist yet. Used across a
   * hot upgrade: the new process absorbs the old one's final snapshot so counters and histograms keep counting
   * from where they were (Envoy carries counters across hot restart the same way). Gauges only with `gauges: true`.
   */
  absorb(snapshot: StatsSnapshot, options: AbsorbOptions = {}): void {
    for (const c of snapshot.counters) {
      const counter = this.counterWithMeta(c.name, () => metaOf(c));
      if (c.used || c.value !== 0) counter.add(c.value);
    }
    if (options.gauges === true) {
      for (const g of snapshot.gauges) {
        if (g.importMode !== 'accumulate') continue;
        const gauge = this.gaugeWithMeta(g.name, g.importMode, () => metaOf(g));
        if (g.used) gauge.add(g.value);
      }
    }
    for (const h of snapshot.histograms) {
      const hist = this.histogramWithMeta(h.name, h.unit, h.bounds, () => metaOf(h));
      hist.addBuckets(h.buckets, h.count, h.sum, h.min, h.max);
    }
  }
}

function base(name: string, meta: StatMeta, used: boolean): StatSnapshotBase {
  const out: StatSnapshotBase = { name, used };
  if (meta.tagExtractedName !== name) out.tagExtractedName = meta.tagExtractedName;
  if (meta.tags.length > 0) out.tags = meta.tags.map(([k, v]) => [k, v]);
  return out;
}

function metaOf(s: StatSnapshotBase): StatMeta {
  return { tagExtractedName: s.tagExtractedName ?? s.name, tags: s.tags ?? [] };
}

function validateBounds(name: string, bounds: readonly number[]): void {
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i] as number;
    if (!(b > 0) || !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number))) {
      throw statsError(`histogram ${name}: bucket bounds must be finite, positive and increasing`);
    }
  }
}
