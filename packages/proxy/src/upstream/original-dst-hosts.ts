import net from 'node:net';
import type { Counter } from '../interfaces/stats.js';
import { EMPTY_LOCALITY, HostImpl, type Host } from './host.js';
import type { LbContext } from './load-balancers/base.js';

/** `original_dst_lb_config` and `cleanup_interval` of an ORIGINAL_DST cluster. */
export interface OriginalDstConfig {
  readonly useHttpHeader: boolean;
  /** Lower-case; `x-envoy-original-dst-host` when unset. */
  readonly httpHeaderName: string;
  /** `upstream_port_override`; 0 = keep the destination's port. */
  readonly portOverride: number;
  readonly cleanupIntervalMs: number;
}

export const DEFAULT_ORIGINAL_DST_HEADER = 'x-envoy-original-dst-host';
/** Envoy's default `cleanup_interval`. */
export const DEFAULT_CLEANUP_INTERVAL_MS = 5000;

/**
 * Envoy's original destination cluster: a host per destination, created when a request first goes there (from the
 * downstream connection's restored local address, or the override header), removed after a cleanup interval in
 * which nothing picked it.
 */
export class OriginalDstHosts {
  private readonly byKey = new Map<string, Host>();
  private readonly used = new Set<Host>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly config: OriginalDstConfig,
    private readonly hostInvalid: Counter,
    /** Replaces the cluster's host set (membership stats, pools of removed hosts drain). */
    private readonly setHosts: (hosts: readonly Host[]) => void,
  ) {
    this.timer = setInterval(() => this.cleanup(), config.cleanupIntervalMs);
    this.timer.unref();
  }

  choose(ctx: LbContext | undefined): Host | undefined {
    let address: string | undefined;
    let port = 0;
    const cfg = this.config;
    if (cfg.useHttpHeader) {
      const value = ctx?.headers?.get(cfg.httpHeaderName);
      if (value !== undefined) {
        const parsed = parseHostPort(value);
        // An invalid value is counted and ignored: the connection's destination is used instead (as in Envoy).
        if (parsed === undefined) this.hostInvalid.inc();
        else [address, port] = parsed;
      }
    }
    if (address === undefined) {
      // Only a destination restored from the redirect (original_dst filter / use_original_dst) is trusted: a
      // connection made straight to the listener would otherwise connect back to the proxy itself.
      const info = ctx?.downstream;
      if (info === undefined || !info.downstreamLocalAddressRestored) return undefined;
      address = info.downstreamLocalAddress;
      port = info.downstreamLocalPort;
    }
    if (cfg.portOverride !== 0) port = cfg.portOverride;
    const key = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    let host = this.byKey.get(key);
    if (host === undefined) {
      host = new HostImpl({ address, port, hostname: '', weight: 1, priority: 0, locality: EMPTY_LOCALITY, localityWeight: 0, healthy: true, degraded: false });
      this.byKey.set(key, host);
      this.setHosts([...this.byKey.values()]);
    }
    this.used.add(host);
    return host;
  }

  /**
   * Hosts not picked since the previous cleanup and without connections (Envoy relies on the pools' idle timeout)
   * go away.
   */
  cleanup(): void {
    let removed = false;
    for (const [key, host] of this.byKey) {
      if (this.used.has(host) || host.stats.cx_active > 0) continue;
      this.byKey.delete(key);
      removed = true;
    }
    this.used.clear();
    if (removed) this.setHosts([...this.byKey.values()]);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** `ip:port` or `[ipv6]:port` with a numeric IP (the header must carry a resolved address). */
function parseHostPort(value: string): [string, number] | undefined {
  const v = value.trim();
  const colon = v.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let ip = v.slice(0, colon);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  else if (ip.includes(':')) return undefined;
  const portText = v.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || net.isIP(ip) === 0) return undefined;
  return [ip, port];
}
