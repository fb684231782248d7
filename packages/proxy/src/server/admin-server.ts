import http from 'node:http';
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from '../observability/prometheus.js';
import { formatStatsJson, formatStatsText, StatsFilterError, type StatsQuery } from '../observability/stats-text.js';
import type { AdminBackend } from './admin-backend.js';
import { formatClustersJson, formatClustersText } from './cluster-status.js';
import { getLogLevel, LOG_LEVELS, parseLogLevel } from './logger.js';
import { rawHandleOf, takeInheritedListener, type RawListenHandle } from './hot-upgrade/inherited-listeners.js';

type Handler = (url: URL, backend: AdminBackend) => Promise<AdminResponse> | AdminResponse;

interface AdminResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

interface Endpoint {
  readonly help: string;
  readonly mutates: boolean;
  readonly handler: Handler;
}

const text = (body: string, status = 200): AdminResponse => ({ status, body, contentType: 'text/plain; charset=UTF-8' });
const json = (value: unknown, status = 200): AdminResponse => ({ status, body: JSON.stringify(value, null, 2) + '\n', contentType: 'application/json' });

const LOGGER_NAMES = ['admin', 'config', 'connection', 'http', 'pool', 'router', 'runtime', 'upstream', 'main'];

function statsQuery(url: URL): StatsQuery {
  const q: StatsQuery = {};
  const filter = url.searchParams.get('filter');
  if (filter !== null) q.filter = filter;
  if (url.searchParams.has('usedonly')) q.usedOnly = true;
  const type = url.searchParams.get('type');
  if (type === 'Counters' || type === 'Gauges' || type === 'Histograms' || type === 'All') q.type = type;
  return q;
}

async function prometheus(url: URL, backend: AdminBackend): Promise<AdminResponse> {
  return { status: 200, body: formatPrometheus(await backend.stats(), statsQuery(url)), contentType: PROMETHEUS_CONTENT_TYPE };
}

const ENDPOINTS: Record<string, Endpoint> = {
  '/ready': {
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    mutates: false,
    handler: (_u, b) => text(`${b.state()}\n`, b.state() === 'LIVE' ? 200 : 503),
  },
  '/server_info': { help: 'print server version/status information', mutates: false, handler: (_u, b) => json(b.serverInfo()) },
  '/stats': {
    help: 'print server stats (filter=<regex>, usedonly, format=json|prometheus)',
    mutates: false,
    handler: async (url, b) => {
      const format = url.searchParams.get('format');
      if (format === 'prometheus') return prometheus(url, b);
      const snapshot = await b.stats();
      if (format === 'json') return { status: 200, body: formatStatsJson(snapshot, statsQuery(url)), contentType: 'application/json' };
      return text(formatStatsText(snapshot, statsQuery(url)));
    },
  },
  '/stats/prometheus': { help: 'print server stats in prometheus format', mutates: false, handler: prometheus },
  '/clusters': {
    help: 'upstream cluster status (format=json)',
    mutates: false,
    handler: async (url, b) => {
      const clusters = await b.clusters();
      return url.searchParams.get('format') === 'json' ? json(formatClustersJson(clusters)) : text(formatClustersText(clusters));
    },
  },
  '/certs': { help: 'print certs on machine', mutates: false, handler: (_u, b) => json(b.certs()) },
  '/config_dump': { help: 'dump current Envoy configs', mutates: false, handler: (_u, b) => json(b.configDump()) },
  '/listeners': {
    help: 'print listener info (format=json)',
    mutates: false,
    handler: (url, b) => {
      const ls = b.listeners();
      if (url.searchParams.get('format') === 'json') {
        return json({ listener_statuses: ls.map((l) => ({ name: l.name, local_address: { socket_address: { address: l.address, port_value: l.port } } })) });
      }
      return text(ls.map((l) => `${l.name}::${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`).join('\n') + '\n');
    },
  },
  '/runtime': { help: 'print runtime values', mutates: false, handler: (_u, b) => json({ entries: b.runtime() }) },
  '/healthcheck/fail': {
    help: 'cause the server to fail health checks',
    mutates: true,
    handler: async (_u, b) => {
      await b.setHealthCheckFailed(true);
      return text('OK\n');
    },
  },
  '/healthcheck/ok': {
    help: 'cause the server to pass health checks',
    mutates: true,
    handler: async (_u, b) => {
      await b.setHealthCheckFailed(false);
      return text('OK\n');
    },
  },
  '/drain_listeners': {
    help: 'drain listeners (inboundonly, graceful)',
    mutates: true,
    handler: async (url, b) => {
      // Respond once the drain has started; graceful drains complete in the background.
      void b.drainListeners({ inboundOnly: url.searchParams.has('inboundonly'), graceful: url.searchParams.has('graceful') });
      return text('OK\n');
    },
  },
  '/logging': {
    help: 'query/change logging levels (level=<level>)',
    mutates: true,
    handler: async (url, b) => {
      const levelParam = url.searchParams.get('level');
      if (levelParam !== null) {
        const level = parseLogLevel(levelParam);
        if (!level) return text(`error: unknown logger level '${levelParam}'; valid levels: ${LOG_LEVELS.join(', ')}\n`, 400);
        await b.setLogLevel(level);
      }
      const level = getLogLevel();
      return text(`active loggers:\n${LOGGER_NAMES.map((n) => `  ${n}: ${level}`).join('\n')}\n`);
    },
  },
  '/hot_upgrade': {
    help: 'start a new proxy process and hand it the listening sockets (binary=<path>, timeout_ms=<ms>); answers when it serves or the upgrade aborted',
    mutates: true,
    handler: async (url, b) => {
      const binary = url.searchParams.get('binary');
      const timeout = url.searchParams.get('timeout_ms');
      const timeoutMs = timeout === null ? undefined : Number(timeout);
      if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) return text(`error: timeout_ms must be a positive integer\n`, 400);
      if (binary === '') return text(`error: binary must be a path\n`, 400);
      const res = await b.hotUpgrade({ ...(binary !== null ? { binary } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      return json(res.report, res.status);
    },
  },
  '/quitquitquit': {
    help: 'exit the server',
    mutates: true,
    handler: (_u, b) => {
      setImmediate(() => b.quit());
      return text('OK\n');
    },
  },
};

/** Envoy-compatible admin HTTP API (a separate, low-traffic server: node:http is fine here). */
export class AdminServer {
  private server: http.Server | undefined;

  constructor(private readonly backend: AdminBackend) {}

  async listen(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      // Hot upgrade: take over the previous process's admin socket rather than rebinding it.
      const inherited = takeInheritedListener('', host, port);
      if (inherited) server.listen(inherited, done);
      else server.listen({ host, port }, done);
    });
    const addr = server.address();
    return addr && typeof addr === 'object' ? addr.port : port;
  }

  rawHandle(): RawListenHandle | undefined {
    return rawHandleOf(this.server);
  }

  /** Stops accepting; requests on open connections (e.g. the one that asked for a hot upgrade) still get answers. */
  stopListening(): void {
    this.server?.close();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    let response: AdminResponse;
    try {
      response = await this.dispatch(req.method ?? 'GET', url);
    } catch (err) {
      response = err instanceof StatsFilterError ? text(`${err.message}\n`, 400) : text(`error: ${(err as Error).message}\n`, 500);
    }
    res.writeHead(response.status, { 'content-type': response.contentType ?? 'text/plain', 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
    res.end(response.body);
  }

  private async dispatch(method: string, url: URL): Promise<AdminResponse> {
    const path = url.pathname;
    if (path === '/' || path === '/help') {
      const lines = Object.entries(ENDPOINTS).map(([p, e]) => `  ${p}: ${e.help}`);
      return text(`admin commands are:\n${lines.join('\n')}\n`);
    }
    const endpoint = ENDPOINTS[path];
    if (!endpoint) return text(`invalid path. admin commands are:\n${Object.keys(ENDPOINTS).join('\n')}\n`, 404);
    if (endpoint.mutates && method !== 'POST') return text(`Method ${method} not allowed, POST required.\n`, 405);
    return endpoint.handler(url, this.backend);
  }
}
