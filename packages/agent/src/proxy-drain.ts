import { request } from 'node:http';

/** One request to the proxy admin on loopback: status and body, or undefined when it cannot be reached. */
export function adminCall(adminPort: number, method: string, path: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path, method, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', () => resolve(undefined));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Sum of `listener.<name>.downstream_cx_active` over the traffic listeners (not the admin's), from `/stats`. */
export function parseActiveConnections(statsText: string): number {
  let total = 0;
  for (const line of statsText.split('\n')) {
    const m = /^listener\.(.+)\.downstream_cx_active: (\d+)$/.exec(line.trim());
    if (m && m[1] !== 'admin') total += Number(m[2]);
  }
  return total;
}

/**
 * Istio's termination drain before the SIGTERM: `POST /drain_listeners?inboundonly&graceful` (inbound callers are
 * told to go away; the app can still call out while it shuts down), then wait until no downstream connection is
 * active or `maxMs` has passed. Returns how long it waited; 0 when the admin did not take the drain.
 */
export async function drainBeforeStop(adminPort: number, maxMs: number, intervalMs: number, abort: () => boolean): Promise<number> {
  const started = performance.now();
  const drain = await adminCall(adminPort, 'POST', '/drain_listeners?inboundonly&graceful', 1000);
  if (drain?.status !== 200) return 0;
  while (performance.now() - started < maxMs && !abort()) {
    const stats = await adminCall(adminPort, 'GET', '/stats?filter=downstream_cx_active', 1000);
    if (stats?.status !== 200 || parseActiveConnections(stats.body) === 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, maxMs - (performance.now() - started)))));
  }
  return Math.round(performance.now() - started);
}
