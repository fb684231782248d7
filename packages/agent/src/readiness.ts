import { request } from 'node:http';

export interface ReadyProbe {
  /** The proxy answered 200 (Envoy's `/ready`: 200 with LIVE, 503 otherwise). */
  readonly ready: boolean;
  /** The server state the proxy printed (LIVE, INITIALIZING, DRAINING, ...), or `UNREACHABLE`. */
  readonly state: string;
}

/** One GET of the proxy admin's `/ready` on loopback; never rejects. */
export function probeReady(adminPort: number, timeoutMs: number): Promise<ReadyProbe> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path: '/ready', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', () => resolve({ ready: false, state: 'UNREACHABLE' }));
      res.on('end', () => resolve({ ready: res.statusCode === 200, state: body.trim() || `HTTP ${res.statusCode}` }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ready: false, state: 'UNREACHABLE' }));
    req.end();
  });
}
