import type { Interceptor } from './interceptor.js';

export interface InterceptResponse {
  readonly status: number;
  /** JSON-serializable, or a string sent as text. */
  readonly body: unknown;
}

/**
 * The agent API for interception, independent of the HTTP server:
 * GET /intercept (status), POST /intercept/on, POST /intercept/off (toggle reports with timings),
 * GET /intercept/rules (the rules `on` installs).
 */
export async function handleInterceptRequest(interceptor: Interceptor, method: string, path: string): Promise<InterceptResponse> {
  const p = path.split('?')[0]?.replace(/\/+$/, '') ?? '';
  try {
    if (p === '/intercept' && method === 'GET') return { status: 200, body: await interceptor.status() };
    if (p === '/intercept/rules' && method === 'GET') return { status: 200, body: interceptor.dryRun() };
    if (p === '/intercept/on' && method === 'POST') return { status: 200, body: await interceptor.on() };
    if (p === '/intercept/off' && method === 'POST') return { status: 200, body: await interceptor.off() };
    if (p === '/intercept' || p === '/intercept/rules' || p === '/intercept/on' || p === '/intercept/off') {
      return { status: 405, body: { error: `${method} not allowed on ${p}` } };
    }
    return { status: 404, body: { error: `unknown path ${p}` } };
  } catch (err) {
    return { status: 500, body: { error: (err as Error).message, code: (err as { code?: string }).code ?? 'WEFT_ERR_INTERCEPT' } };
  }
}

/** The least an agent router must offer to carry the interception routes. */
export interface InterceptRouter {
  route(method: string, path: string, handler: () => Promise<InterceptResponse>): void;
}

export function registerInterceptRoutes(router: InterceptRouter, interceptor: Interceptor): void {
  for (const [method, path] of [['GET', '/intercept'], ['GET', '/intercept/rules'], ['POST', '/intercept/on'], ['POST', '/intercept/off']] as const) {
    router.route(method, path, () => handleInterceptRequest(interceptor, method, path));
  }
}
