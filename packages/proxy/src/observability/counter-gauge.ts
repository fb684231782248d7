import type { Counter, Gauge } from '../interfaces/stats.js';
import type { StatMeta } from './stat-meta.js';

export type GaugeImportMode = 'accumulate' | 'never';

/** Hot path: `inc()` is one property increment. `used` is derived so `inc()` needs no second write. */
export class CounterImpl implements Counter {
  v = 0;
  /** Set by `add()` so that `add(0)` still counts as a use, as in Envoy. */
  touched = false;

  constructor(
    readonly name: string,
    readonly meta: StatMeta,
  ) {}

  inc(): void {
    this.v++;
  }

  add(n: number): void {
    this.v += n;
    this.touched = true;
  }

  value(): number {
    return this.v;
  }

  get used(): boolean {
    return this.touched || this.v !== 0;
  }
}

export class GaugeImpl implements Gauge {
  v = 0;
  used = false;

  constructor(
    readonly name: string,
    readonly importMode: GaugeImportMode,
    readonly meta: StatMeta,
  ) {}

  inc(): void {
    this.v++;
    this.used = true;
  }

  dec(): void {
    this.v--;
    this.used = true;
  }

  add(n: number): void {
    this.v += n;
    this.used = true;
  }

  sub(n: number): void {
    this.v -= n;
    this.used = true;
  }

  set(n: number): void {
    this.v = n;
    this.used = true;
  }

  value(): number {
    return this.v;
  }
}
