import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Istio's pilot-agent status port; the agent API listens on loopback only (it can upgrade the proxy). */
export const DEFAULT_AGENT_PORT = 15020;
const MAX_BODY = 64 * 1024;

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The JSON body, or undefined when there was none. */
  readonly body: unknown;
}

/** A JSON document, or text when `body` is a string. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

export type ApiHandler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/**
 * The agent's local HTTP API. Modules add routes with `route(method, path, handler)` (exact path match), e.g. the
 * interception module's `POST /intercept/on`; the agent itself serves /status, /ready and /upgrade.
 */
export class AgentApi {
  private readonly routes = new Map<string, ApiHandler>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => void this.dispatch(req, res));
  }

  route(method: string, path: string, handler: ApiHandler): this {
    const key = `${method.toUpperCase()} ${path}`;
    if (this.routes.has(key)) throw new Error(`agent API route ${key} is already registered`);
    this.routes.set(key, handler);
    return this;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    const method = req.method ?? 'GET';
    const handler = this.routes.get(`${method} ${url.pathname}`);
    let reply: ApiResponse;
    try {
      const body = await readJson(req);
      if (!handler) {
        const allowed = [...this.routes.keys()].filter((k) => k.endsWith(` ${url.pathname}`)).map((k) => k.split(' ')[0]);
        reply = allowed.length > 0 ? { status: 405, body: { error: `use ${allowed.join(', ')}` } } : { status: 404, body: { error: `no route ${url.pathname}` } };
      } else reply = await handler({ method, path: url.pathname, query: url.searchParams, body });
    } catch (err) {
      reply = err instanceof BadRequest ? { status: 400, body: { error: err.message } } : { status: 500, body: { error: (err as Error).message } };
    }
    const text = typeof reply.body === 'string' ? reply.body : `${JSON.stringify(reply.body, null, 2)}\n`;
    res.writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-cache',
    });
    res.end(text);
  }
}

class BadRequest extends Error {}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BadRequest(`body larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(new BadRequest('body is not JSON'));
      }
    });
  });
}
