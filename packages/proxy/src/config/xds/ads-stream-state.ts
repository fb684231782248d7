import { isWildcardType } from './xds-types.js';

/** google.rpc.Code INTERNAL: the code Envoy puts in a NACK's error_detail. */
export const NACK_CODE = 13;

/** Per-type protocol state of an ADS stream (both variants); survives reconnects. */
export class TypeState {
  /** SotW: last accepted version_info. */
  version = '';
  /** Last response nonce on the current stream. */
  nonce = '';
  /** Names subscribed on the current stream (non-wildcard types). */
  subscribed: readonly string[] = [];
  /** Whether the type was requested on the current stream. */
  requested = false;
  /** Names of accepted resources with their versions (Delta initial_resource_versions; SotW removal diff). */
  readonly known = new Map<string, string>();

  constructor(readonly typeUrl: string) {}

  get wildcard(): boolean {
    return isWildcardType(this.typeUrl);
  }

  /** Forgets per-stream state (a new stream starts with no nonce). */
  resetStream(): void {
    this.nonce = '';
    this.subscribed = [];
    this.requested = false;
  }
}

/** Sorted, de-duplicated names; compared to know whether a subscription changed. */
export function normalizeNames(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The name of a decoded resource (ClusterLoadAssignment is keyed by cluster_name). */
export function resourceName(resource: unknown): string {
  const r = resource as { name?: unknown; cluster_name?: unknown };
  if (typeof r.name === 'string') return r.name;
  if (typeof r.cluster_name === 'string') return r.cluster_name;
  return '';
}

/** Envoy's JitteredExponentialBackOffStrategy: uniform in [0, min(base * 2^n, max)). */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.baseMs * 2 ** Math.min(this.attempt, 30), this.maxMs);
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
