import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdsServer } from '../xds/ads-server.js';

export interface DebugApiOptions {
  readonly ads: AdsServer;
  /** Whether the control plane has its first full configuration (for /ready). */
  readonly ready: () => boolean;
  /** Invalid resources (file, resource, field path, reason) for `/debug/configz`. */
  readonly configIssues?: (() => readonly unknown[]) | undefined;
  /** The config source's state for `/debug/configz` (kind, and e.g. the etcd revision applied). */
  readonly configSource?: (() => Record<string, unknown>) | undefined;
  /** Services and endpoints for `/debug/registryz`. */
  readonly registry?: (() => unknown) | undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(opts: DebugApiOptions, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: 'method not allowed' });
    return;
  }
  switch (url.pathname) {
    case '/ready':
      if (opts.ready()) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('LIVE\n');
      } else {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('NOT READY\n');
      }
      return;
    case '/debug/syncz':
      json(res, 200, { push: opts.ads.stats, proxies: opts.ads.syncz() });
      return;
    case '/debug/config_dump': {
      const proxy = url.searchParams.get('proxy');
      if (!proxy) {
        json(res, 400, { error: 'the proxy query parameter is required (a connected node id)' });
        return;
      }
      const dump = opts.ads.configDump(proxy);
      if (!dump) json(res, 404, { error: `proxy '${proxy}' is not connected` });
      else json(res, 200, dump);
      return;
    }
    case '/debug/configz':
      json(res, 200, { ...(opts.configSource ? { source: opts.configSource() } : {}), issues: opts.configIssues?.() ?? [] });
      return;
    case '/debug/registryz':
      json(res, 200, opts.registry?.() ?? { services: [] });
      return;
    default:
      json(res, 404, { error: 'not found', endpoints: ['/ready', '/debug/syncz', '/debug/config_dump?proxy=<id>', '/debug/configz', '/debug/registryz'] });
  }
}

/** The control plane's HTTP API: readiness and xDS debugging (used by the CLI and the dashboard). */
export function startDebugApi(opts: DebugApiOptions, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    try {
      handle(opts, req, res);
    } catch (err) {
      json(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
