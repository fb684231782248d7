import type { Runtime } from '../interfaces/runtime.js';
import { monotonicNow } from '../server/io-scope.js';

const TOTAL_KEY = 'overload.premature_reset_total_stream_count';
const LIFETIME_KEY = 'overload.premature_reset_min_stream_lifetime_seconds';

/**
 * Envoy's defence against rapid reset (CVE-2023-44487) for one HTTP/2 connection: a stream that ends without a
 * response code within `overload.premature_reset_min_stream_lifetime_seconds` (whole seconds, default 1) is
 * premature. Once half of `overload.premature_reset_total_stream_count` (default 500) streams are premature, or half
 * of at least that many closed streams, the connection must be closed. Runtime keys are read once per connection.
 */
export class PrematureResets {
  private closed = 0;
  private premature = 0;
  private readonly limit: number;
  private readonly minLifetimeS: number;

  constructor(runtime: Runtime) {
    this.limit = runtime.getNumber(TOTAL_KEY, 500);
    this.minLifetimeS = runtime.getNumber(LIFETIME_KEY, 1);
  }

  /** A stream closed (`responseCode` 0: none sent); true when the connection has now seen too many premature resets. */
  onStreamClosed(responseCode: number, startMs: number): boolean {
    this.closed++;
    if (responseCode === 0 && Math.floor((monotonicNow() - startMs) / 1000) <= this.minLifetimeS) this.premature++;
    return this.premature * 2 >= (this.closed < this.limit ? this.limit : this.closed);
  }
}
