import { isIPv6 } from 'node:net';

/** Where an endpoint lives (`envoy.config.core.v3.Locality`). */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** A host without `envoy.lb` metadata. */
export const NO_LABELS: ReadonlyMap<string, string> = new Map();

export const EMPTY_LOCALITY: Locality = Object.freeze({ region: '', zone: '', subZone: '' });

/** Envoy's per-host stats (shown in the admin `/clusters` output); plain numbers, updated in place. */
export interface HostStats {
  cx_total: number;
  cx_active: number;
  cx_connect_fail: number;
  rq_total: number;
  rq_active: number;
  rq_error: number;
  rq_success: number;
  rq_timeout: number;
}

/**
 * Envoy's per-host health flags (Host::HealthFlag). A host is healthy when no FAILED_* flag is set, degraded when a
 * DEGRADED_* flag is set, and excluded from load balancing (and from priority health) while an EXCLUDED flag is set.
 */
export const HealthFlag = {
  FAILED_ACTIVE_HC: 0x1,
  FAILED_OUTLIER_CHECK: 0x2,
  FAILED_EDS_HEALTH: 0x4,
  DEGRADED_ACTIVE_HC: 0x8,
  DEGRADED_EDS_HEALTH: 0x10,
  PENDING_DYNAMIC_REMOVAL: 0x20,
  PENDING_ACTIVE_HC: 0x40,
  EXCLUDED_VIA_IMMEDIATE_HC_FAIL: 0x80,
  ACTIVE_HC_TIMEOUT: 0x100,
  EDS_STATUS_DRAINING: 0x200,
} as const;

const FAILED_MASK = HealthFlag.FAILED_ACTIVE_HC | HealthFlag.FAILED_OUTLIER_CHECK | HealthFlag.FAILED_EDS_HEALTH;
const DEGRADED_MASK = HealthFlag.DEGRADED_ACTIVE_HC | HealthFlag.DEGRADED_EDS_HEALTH;
const EXCLUDED_MASK =
  HealthFlag.PENDING_DYNAMIC_REMOVAL | HealthFlag.PENDING_ACTIVE_HC | HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL;

/** Admin `/clusters` names, in Envoy's order. */
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [HealthFlag.FAILED_ACTIVE_HC, 'failed_active_hc'],
  [HealthFlag.FAILED_OUTLIER_CHECK, 'failed_outlier_check'],
  [HealthFlag.FAILED_EDS_HEALTH, 'failed_eds_health'],
  [HealthFlag.DEGRADED_ACTIVE_HC, 'degraded_active_hc'],
  [HealthFlag.DEGRADED_EDS_HEALTH, 'degraded_eds_health'],
  [HealthFlag.PENDING_DYNAMIC_REMOVAL, 'pending_dynamic_removal'],
  [HealthFlag.PENDING_ACTIVE_HC, 'pending_active_hc'],
  [HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL, 'excluded_via_immediate_hc_fail'],
  [HealthFlag.ACTIVE_HC_TIMEOUT, 'active_hc_timeout'],
  [HealthFlag.EDS_STATUS_DRAINING, 'eds_status_draining'],
];

/** Envoy's `health_flags` text: `healthy`, or `/flag1/flag2`. */
export function healthFlagsToString(flags: number): string {
  if (flags === 0) return 'healthy';
  let out = '';
  for (const [bit, name] of FLAG_NAMES) if ((flags & bit) !== 0) out += '/' + name;
  return out;
}

/**
 * What the data path reports to outlier detection (Envoy's Outlier::Result). Local-origin results come from the
 * proxy itself (connect failure, timeout, reset); external ones from the upstream's answer.
 */
export const OutlierResult = {
  /** Connection established (HTTP: the request goes on; the response code is reported separately). */
  LOCAL_ORIGIN_CONNECT_SUCCESS: 0,
  /** Connection established and nothing more will be reported (TCP proxying): counts as a success. */
  LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL: 1,
  /** Connect timeout or upstream request timeout. */
  LOCAL_ORIGIN_TIMEOUT: 2,
  /** Connect failure or reset before a response. */
  LOCAL_ORIGIN_CONNECT_FAILED: 3,
  /** Non-HTTP protocols: the upstream answered with an error. */
  EXT_ORIGIN_REQUEST_FAILED: 4,
  /** Non-HTTP protocols: the upstream answered successfully. */
  EXT_ORIGIN_REQUEST_SUCCESS: 5,
} as const;
export type OutlierResultCode = (typeof OutlierResult)[keyof typeof OutlierResult];

/**
 * A host's outlier-detection monitor: the data path reports every upstream result here. Calls never allocate;
 * without `outlier_detection` the host carries a no-op monitor, so callers need no check.
 */
export interface OutlierMonitor {
  /** An HTTP response status from the upstream (or the mapped status of a local failure). */
  putHttpResponseCode(code: number): void;
  /** A result without an HTTP status; `code` (optional, non-split mode only) overrides the mapping. */
  putResult(result: OutlierResultCode, code?: number): void;
  /** Times this host has been ejected (admin). */
  readonly numEjections: number;
  /** Success rate of the last complete interval in percent, -1 when not computed (admin `success_rate`). */
  readonly successRate: number;
  readonly localOriginSuccessRate: number;
}

export const NOOP_OUTLIER_MONITOR: OutlierMonitor = {
  putHttpResponseCode(): void {},
  putResult(): void {},
  numEjections: 0,
  successRate: -1,
  localOriginSuccessRate: -1,
};

/**
 * A host's active health-check hook for the data path: `x-envoy-immediate-health-check-fail` in an upstream response
 * calls `setUnhealthyImmediate()`. No-op without `health_checks`.
 */
export interface HealthCheckHostMonitor {
  setUnhealthyImmediate(): void;
}

export const NOOP_HC_MONITOR: HealthCheckHostMonitor = { setUnhealthyImmediate(): void {} };

export interface Host {
  /** IP address (a logical DNS host changes it on re-resolution; new connections use the current one). */
  readonly address: string;
  readonly port: number;
  /** `endpoint.hostname`, or the DNS name for DNS clusters, or ''. */
  readonly hostname: string;
  /** `load_balancing_weight` of the endpoint (default 1). */
  readonly weight: number;
  readonly priority: number;
  readonly locality: Locality;
  /** `load_balancing_weight` of the endpoint's locality (0 when unset). */
  readonly localityWeight: number;
  /** The endpoint's `envoy.lb` metadata as strings (subset selection by labels). */
  readonly labels: ReadonlyMap<string, string>;
  /** HealthFlag bits; change them through the cluster (health checker, outlier detector) so load is recomputed. */
  healthFlags: number;
  /** No FAILED_* flag set. */
  readonly healthy: boolean;
  /** A DEGRADED_* flag set: used only when healthy capacity is short. */
  readonly degraded: boolean;
  /** An EXCLUDED flag set (pending first health check, immediate HC fail): not balanced to, not counted. */
  readonly excluded: boolean;
  /** Outlier detection results go here (see OutlierMonitor). */
  outlier: OutlierMonitor;
  /** `x-envoy-immediate-health-check-fail` goes here. */
  healthChecker: HealthCheckHostMonitor;
  /** Same number as `stats.rq_active`; callers (router, tcp_proxy) maintain it. */
  activeRequests: number;
  /** `ip:port`, `[ipv6]:port` for IPv6 (Envoy's address string). */
  readonly key: string;
  readonly stats: HostStats;
}

export function hostKey(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface HostInit {
  address: string;
  port: number;
  hostname: string;
  weight: number;
  priority: number;
  locality: Locality;
  localityWeight: number;
  /** EDS health: false for UNHEALTHY / DRAINING / TIMEOUT (FAILED_EDS_HEALTH). */
  healthy: boolean;
  /** EDS DEGRADED (DEGRADED_EDS_HEALTH). */
  degraded: boolean;
  labels?: ReadonlyMap<string, string> | undefined;
}

export class HostImpl implements Host {
  private addr: string;
  private k: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly locality: Locality;
  readonly localityWeight: number;
  readonly labels: ReadonlyMap<string, string>;
  healthFlags: number;
  outlier: OutlierMonitor = NOOP_OUTLIER_MONITOR;
  healthChecker: HealthCheckHostMonitor = NOOP_HC_MONITOR;
  readonly stats: HostStats = {
    cx_total: 0,
    cx_active: 0,
    cx_connect_fail: 0,
    rq_total: 0,
    rq_active: 0,
    rq_error: 0,
    rq_success: 0,
    rq_timeout: 0,
  };

  constructor(init: HostInit) {
    this.addr = init.address;
    this.port = init.port;
    this.k = hostKey(init.address, init.port);
    this.hostname = init.hostname;
    this.weight = init.weight;
    this.priority = init.priority;
    this.locality = init.locality;
    this.localityWeight = init.localityWeight;
    this.labels = init.labels ?? NO_LABELS;
    this.healthFlags = (init.healthy ? 0 : HealthFlag.FAILED_EDS_HEALTH) | (init.degraded ? HealthFlag.DEGRADED_EDS_HEALTH : 0);
  }

  get healthy(): boolean {
    return (this.healthFlags & FAILED_MASK) === 0;
  }

  get degraded(): boolean {
    return (this.healthFlags & DEGRADED_MASK) !== 0;
  }

  get excluded(): boolean {
    return (this.healthFlags & EXCLUDED_MASK) !== 0;
  }

  get address(): string {
    return this.addr;
  }

  get key(): string {
    return this.k;
  }

  get activeRequests(): number {
    return this.stats.rq_active;
  }

  set activeRequests(n: number) {
    this.stats.rq_active = n;
  }

  /** Only for LOGICAL_DNS hosts: the address new connections go to. */
  setAddress(address: string): void {
    this.addr = address;
    this.k = hostKey(address, this.port);
  }
}

/** Envoy's coarse health: healthy hosts first, degraded ones only when healthy capacity is short. */
export function isHealthy(h: Host): boolean {
  return h.healthy && !h.degraded;
}

export function isExcluded(h: Host): boolean {
  return h.excluded;
}

export function isDegraded(h: Host): boolean {
  return h.healthy && h.degraded;
}
