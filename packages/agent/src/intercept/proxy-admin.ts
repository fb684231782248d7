/** The proxy's admin API as the toggle uses it: health check, drain, and the active request/connection gauges. */
export class ProxyAdminClient {
  private readonly base: string;

  /** `admin`: `host:port` or a URL of the proxy's admin listener. */
  constructor(admin: string, private readonly timeoutMs = 5000) {
    this.base = admin.includes('://') ? admin.replace(/\/$/, '') : `http://${admin}`;
  }

  async post(path: string): Promise<void> {
    const res = await fetch(this.base + path, { method: 'POST', signal: AbortSignal.timeout(this.timeoutMs) });
    await res.text();
    if (res.status !== 200) throw new Error(`proxy admin ${path}: HTTP ${res.status}`);
  }

  /** `/stats?filter=` as name -> value (counters and gauges; histograms are skipped). */
  async stats(filter: string): Promise<Map<string, number>> {
    const res = await fetch(`${this.base}/stats?filter=${encodeURIComponent(filter)}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`proxy admin /stats: HTTP ${res.status}`);
    const out = new Map<string, number>();
    for (const line of body.split('\n')) {
      const i = line.lastIndexOf(': ');
      if (i <= 0) continue;
      const v = Number(line.slice(i + 2));
      if (Number.isFinite(v)) out.set(line.slice(0, i), v);
    }
    return out;
  }

  /** Sum of `http.*.downstream_rq_active` (requests in flight through every connection manager). */
  async activeRequests(): Promise<number> {
    return sum(await this.stats('^http\\..*\\.downstream_rq_active$'));
  }

  /**
   * Sum of `listener.<name>.downstream_cx_active` over the listeners whose stat name matches `listeners` (a regex;
   * default every listener but the admin's).
   */
  async activeConnections(listeners?: RegExp): Promise<number> {
    let n = 0;
    for (const [name, v] of await this.stats('^listener\\..*\\.downstream_cx_active$')) {
      const l = name.slice('listener.'.length, -'.downstream_cx_active'.length);
      if (l === 'admin') continue;
      if (listeners === undefined || listeners.test(l)) n += v;
    }
    return n;
  }
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
