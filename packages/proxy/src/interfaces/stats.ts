/**
 * Stats as Envoy names them (`cluster.<name>.upstream_rq_total`). Handles are created once (at config time) and
 * kept by the hot path, which only calls inc/add/set/record.
 */
export interface Counter {
  readonly name: string;
  inc(): void;
  add(n: number): void;
  value(): number;
}

export interface Gauge {
  readonly name: string;
  inc(): void;
  dec(): void;
  add(n: number): void;
  sub(n: number): void;
  set(n: number): void;
  value(): number;
}

export type HistogramUnit = 'milliseconds' | 'bytes' | 'unspecified';

export interface Histogram {
  readonly name: string;
  readonly unit: HistogramUnit;
  record(value: number): void;
}

/** A set of `name="value"` labels for tagged (Prometheus-style) metrics. */
export type Labels = Readonly<Record<string, string>>;

export interface Scope {
  /** Full name is `<scope prefix>.<name>` (the prefix may be empty). */
  counter(name: string): Counter;
  gauge(name: string, importMode?: 'accumulate' | 'never'): Gauge;
  histogram(name: string, unit?: HistogramUnit): Histogram;
  scope(prefix: string): Scope;
}
