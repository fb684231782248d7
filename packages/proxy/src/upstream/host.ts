import { isIPv6 } from 'node:net';

/** Where an endpoint lives (`envoy.config.core.v3.Locality`). */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

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
  /** False for UNHEALTHY / DRAINING / TIMEOUT endpoints; health checks and EDS update it later. */
  healthy: boolean;
  /** True for DEGRADED endpoints: used only when healthy capacity is short. */
  degraded: boolean;
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
  healthy: boolean;
  degraded: boolean;
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
  healthy: boolean;
  degraded: boolean;
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
    this.healthy = init.healthy;
    this.degraded = init.degraded;
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

export function isDegraded(h: Host): boolean {
  return h.healthy && h.degraded;
}
