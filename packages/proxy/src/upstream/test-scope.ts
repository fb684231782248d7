// Test helper only: a tiny in-memory stats Scope so upstream tests do not depend on the real stats store.
import type { Counter, Gauge, Histogram, HistogramUnit, Scope } from '../interfaces/stats.js';

class MemCounter implements Counter {
  private v = 0;
  constructor(readonly name: string) {}
  inc(): void {
    this.v++;
  }
  add(n: number): void {
    this.v += n;
  }
  value(): number {
    return this.v;
  }
}

class MemGauge implements Gauge {
  private v = 0;
  constructor(readonly name: string) {}
  inc(): void {
    this.v++;
  }
  dec(): void {
    this.v--;
  }
  add(n: number): void {
    this.v += n;
  }
  sub(n: number): void {
    this.v -= n;
  }
  set(n: number): void {
    this.v = n;
  }
  value(): number {
    return this.v;
  }
}

class MemHistogram implements Histogram {
  readonly values: number[] = [];
  constructor(
    readonly name: string,
    readonly unit: HistogramUnit,
  ) {}
  record(value: number): void {
    this.values.push(value);
  }
}

/** Shared storage of all scopes derived from one root. */
class Store {
  readonly counters = new Map<string, MemCounter>();
  readonly gauges = new Map<string, MemGauge>();
  readonly histograms = new Map<string, MemHistogram>();
}

export class TestScope implements Scope {
  private readonly store: Store;
  constructor(
    private readonly prefix = '',
    store?: Store,
  ) {
    this.store = store ?? new Store();
  }

  private full(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  counter(name: string): Counter {
    const full = this.full(name);
    let c = this.store.counters.get(full);
    if (!c) this.store.counters.set(full, (c = new MemCounter(full)));
    return c;
  }

  gauge(name: string): Gauge {
    const full = this.full(name);
    let g = this.store.gauges.get(full);
    if (!g) this.store.gauges.set(full, (g = new MemGauge(full)));
    return g;
  }

  histogram(name: string, unit: HistogramUnit = 'unspecified'): Histogram {
    const full = this.full(name);
    let h = this.store.histograms.get(full);
    if (!h) this.store.histograms.set(full, (h = new MemHistogram(full, unit)));
    return h;
  }

  scope(prefix: string): Scope {
    return new TestScope(this.full(prefix), this.store);
  }

  /** Value of a counter or gauge by full name (0 when never created). */
  value(fullName: string): number {
    return this.store.counters.get(fullName)?.value() ?? this.store.gauges.get(fullName)?.value() ?? 0;
  }

  has(fullName: string): boolean {
    return this.store.counters.has(fullName) || this.store.gauges.has(fullName) || this.store.histograms.has(fullName);
  }

  histogramValues(fullName: string): readonly number[] {
    return this.store.histograms.get(fullName)?.values ?? [];
  }
}
