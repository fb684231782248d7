import { resolveFamily, type DnsLookupFamily, type DnsResolver } from './dns-resolver.js';

export interface DnsRefreshPolicy {
  readonly lookupFamily: DnsLookupFamily;
  /** `dns_refresh_rate` (default 5 s). `respect_dns_ttl` is not applied: `dns.lookup` exposes no TTL. */
  readonly refreshMs: number;
  /** `dns_failure_refresh_rate` → jittered exponential backoff; undefined = retry after `refreshMs`. */
  readonly failureBackoff: { readonly baseMs: number; readonly maxMs: number } | undefined;
}

/**
 * One name resolved periodically. Reports each answer (or failure) to its owner; the first report, success or not,
 * counts for cluster warming.
 */
export class DnsTarget {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private inFlight = false;

  constructor(
    readonly dnsName: string,
    private readonly resolver: DnsResolver,
    private readonly policy: DnsRefreshPolicy,
    private readonly random: () => number,
    private readonly onAttempt: () => void,
    private readonly onResult: (addresses: string[] | undefined, err?: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) void this.resolve();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async resolve(): Promise<void> {
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    this.onAttempt();
    let addresses: string[] | undefined;
    let error: unknown;
    try {
      addresses = await resolveFamily(this.resolver, this.dnsName, this.policy.lookupFamily);
    } catch (err) {
      error = err;
    }
    this.inFlight = false;
    if (this.stopped) return;
    if (addresses) {
      this.failures = 0;
      this.schedule(this.policy.refreshMs);
      this.onResult(addresses);
    } else {
      this.schedule(this.nextFailureDelay());
      this.onResult(undefined, error);
    }
  }

  /** Envoy's JitteredExponentialBackOffStrategy: random in [0, base * 2^n), capped at max. */
  private nextFailureDelay(): number {
    const b = this.policy.failureBackoff;
    if (!b) return this.policy.refreshMs;
    const window = b.baseMs * 2 ** this.failures;
    if (window <= b.maxMs) this.failures++;
    return Math.max(1, Math.min(this.random() % Math.max(1, Math.floor(window)), b.maxMs));
  }

  private schedule(ms: number): void {
    // Ref'd on purpose: a cluster keeps refreshing until close().
    this.timer = setTimeout(() => void this.resolve(), ms);
  }
}
