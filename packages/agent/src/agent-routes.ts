import type { AgentApi, ApiResponse } from './api-server.js';
import { nodeId } from './bootstrap.js';
import type { WorkloadIdentity } from './identity.js';
import type { ProxySupervisor } from './supervisor.js';
import { UpgradeRefused, type UpgradeRequest, type Upgrader } from './upgrade.js';

/** The JSON of `GET /status` (also what `weft agent status` prints). */
export interface AgentStatus {
  readonly agent: { readonly pid: number; readonly uptimeMs: number };
  readonly proxy: {
    readonly pid: number | null;
    readonly state: string;
    readonly ready: boolean;
    readonly readyAfterMs: number | null;
    readonly serverState: string;
    readonly restarts: number;
    readonly uptimeMs: number;
    readonly adminPort: number;
    readonly bootstrap: string;
    readonly lastExit: unknown;
  };
  readonly upgrade: { readonly inProgress: boolean; readonly last: unknown };
  readonly identity: WorkloadIdentity & { readonly nodeId: string };
  /** Sections added by extensions (`interception`: what the rules say, the last toggle). */
  readonly [section: string]: unknown;
}

export function agentStatus(sup: ProxySupervisor, up: Upgrader, identity: WorkloadIdentity, startedAt: number): AgentStatus {
  return {
    agent: { pid: process.pid, uptimeMs: Math.round(performance.now() - startedAt) },
    proxy: {
      pid: sup.child?.pid ?? null,
      state: up.inProgress ? 'upgrading' : sup.state,
      ready: sup.ready,
      readyAfterMs: sup.readyAfterMs ?? null,
      serverState: sup.serverState,
      restarts: sup.restarts,
      uptimeMs: sup.uptimeMs(),
      adminPort: sup.adminPort,
      bootstrap: sup.command.bootstrapPath,
      lastExit: sup.lastExit ?? null,
    },
    upgrade: { inProgress: up.inProgress, last: up.last ?? null },
    identity: { ...identity, nodeId: nodeId(identity) },
  };
}

function parseUpgradeBody(body: unknown): UpgradeRequest | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const out: { binary?: string; timeoutMs?: number } = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'binary' && typeof v === 'string' && v !== '') out.binary = v;
    else if (k === 'timeoutMs' && typeof v === 'number') out.timeoutMs = v;
    else return `unknown or invalid field '${k}' (expected binary: string, timeoutMs: number)`;
  }
  return out;
}

/** GET /status, GET /ready (the agent's view of the proxy, for a probe), POST /upgrade. */
export function registerAgentRoutes(
  api: AgentApi,
  sup: ProxySupervisor,
  up: Upgrader,
  identity: WorkloadIdentity,
  sections: ReadonlyMap<string, () => Promise<unknown> | unknown> = new Map(),
): void {
  const startedAt = performance.now();
  api.route('GET', '/status', async () => {
    const body: Record<string, unknown> = { ...agentStatus(sup, up, identity, startedAt) };
    for (const [name, section] of sections) {
      try {
        body[name] = await section();
      } catch (err) {
        body[name] = { error: (err as Error).message };
      }
    }
    return { status: 200, body };
  });
  api.route('GET', '/ready', () => ({ status: sup.ready ? 200 : 503, body: `${sup.ready ? 'LIVE' : sup.serverState}\n` }));
  api.route('POST', '/upgrade', async (req): Promise<ApiResponse> => {
    const parsed = parseUpgradeBody(req.body);
    if (typeof parsed === 'string') return { status: 400, body: { ok: false, reason: parsed } };
    try {
      const report = await up.upgrade(parsed);
      return { status: report.ok ? 200 : 500, body: report };
    } catch (err) {
      if (err instanceof UpgradeRefused) return { status: err.status, body: { ok: false, reason: err.message } };
      throw err;
    }
  });
}
