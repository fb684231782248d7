import { chmodSync } from 'node:fs';
import { Logger, type LogLevel } from '@weft/proxy/server/logger';
import { AgentApi } from './api-server.js';
import { registerAgentRoutes } from './agent-routes.js';
import type { BackoffPolicy } from './backoff.js';
import { bootstrapYaml, writeBootstrap } from './bootstrap.js';
import type { ProxyEndpoints, WorkloadIdentity } from './identity.js';
import { ProxySupervisor } from './supervisor.js';
import { Upgrader } from './upgrade.js';

export interface AgentOptions {
  readonly identity: WorkloadIdentity;
  readonly endpoints: ProxyEndpoints;
  /** Where bootstrap.yaml is written. */
  readonly workDir: string;
  /** The `weft.js` (or executable) that runs `weft proxy`. */
  readonly proxyBinary: string;
  /** Extra `weft proxy` options (--concurrency, --drain-time, --log-level). */
  readonly proxyArgs: readonly string[];
  readonly agentHost: string;
  readonly agentPort: number;
  readonly backoff: BackoffPolicy;
  readonly readyIntervalMs: number;
  /** Istio's termination drain: how long a stop waits for connections after draining the listeners. */
  readonly terminationDrainMs: number;
  readonly logLevel: LogLevel;
  /**
   * Run the proxy as this uid/gid (iptables capture excludes the proxy's own traffic by owner). The work dir is
   * then made readable by it.
   */
  readonly proxyUser?: { readonly uid: number; readonly gid: number } | undefined;
  /** Run in order before the agent API starts listening and before the proxy starts. */
  readonly extensions?: readonly AgentExtension[];
}

/** What an agent extension (e.g. traffic interception) gets to work with. */
export interface AgentContext {
  readonly api: AgentApi;
  readonly supervisor: ProxySupervisor;
  readonly identity: WorkloadIdentity;
  /** The proxy admin port on 127.0.0.1 (/healthcheck/fail, /drain_listeners, ...). */
  readonly adminPort: number;
  readonly logger: Logger;
  /** Adds a section to `GET /status` (e.g. `interception`), computed on each request. */
  addStatus(name: string, section: () => Promise<unknown> | unknown): void;
  /** Runs when the agent stops, in registration order, before the proxy is drained and stopped. */
  onStop(hook: () => Promise<void>): void;
}

/** Registers routes (`ctx.api.route('POST', '/intercept/on', ...)`) or other behaviour before the API listens. */
export type AgentExtension = (ctx: AgentContext) => void | Promise<void>;

export interface RunningAgent {
  readonly port: number;
  readonly api: AgentApi;
  readonly supervisor: ProxySupervisor;
  readonly upgrader: Upgrader;
  readonly bootstrapPath: string;
  /** Resolves with the agent's exit code once it has stopped (by stop(), or because supervision ended). */
  readonly done: Promise<number>;
  /** Graceful: drain the proxy's listeners, wait for its connections (up to terminationDrainMs), SIGTERM, wait for its exit, close the API. */
  stop(exitCode?: number): Promise<number>;
}

/** Writes the bootstrap, opens the local API and starts supervising `weft proxy`. */
export async function runAgent(opts: AgentOptions): Promise<RunningAgent> {
  const logger = new Logger(opts.logLevel, { component: 'agent' });
  const log = (event: string, fields: Record<string, unknown>): void => logger.info(fields, event);
  const bootstrapPath = writeBootstrap(opts.workDir, bootstrapYaml(opts.identity, opts.endpoints));
  // A proxy running as another user must be able to read its bootstrap (mkdtemp dirs are 0700).
  if (opts.proxyUser) chmodSync(opts.workDir, 0o755);
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping: Promise<number> | undefined;
  const supervisor = new ProxySupervisor({
    command: { binary: opts.proxyBinary, bootstrapPath, args: opts.proxyArgs, user: opts.proxyUser },
    adminPort: opts.endpoints.adminPort,
    backoff: opts.backoff,
    readyIntervalMs: opts.readyIntervalMs,
    terminationDrainMs: opts.terminationDrainMs,
    log,
    onEnd: (code, why) => {
      (code === 0 ? logger.info.bind(logger) : logger.error.bind(logger))({ code }, `agent stopping: ${why}`);
      void stop(code);
    },
  });
  const upgrader = new Upgrader(supervisor, log);
  const api = new AgentApi();
  const sections = new Map<string, () => Promise<unknown> | unknown>();
  const stopHooks: Array<() => Promise<void>> = [];
  registerAgentRoutes(api, supervisor, upgrader, opts.identity, sections);
  const ctx: AgentContext = {
    api,
    supervisor,
    identity: opts.identity,
    adminPort: opts.endpoints.adminPort,
    logger,
    addStatus: (name, section) => {
      if (sections.has(name)) throw new Error(`agent status section ${name} is already registered`);
      sections.set(name, section);
    },
    onStop: (hook) => void stopHooks.push(hook),
  };
  for (const ext of opts.extensions ?? []) await ext(ctx);
  const port = await api.listen(opts.agentHost, opts.agentPort);
  supervisor.start();
  logger.info({ agentPort: port, bootstrap: bootstrapPath, adminPort: opts.endpoints.adminPort }, 'weft agent started');

  function stop(exitCode = 0): Promise<number> {
    stopping ??= (async () => {
      for (const hook of stopHooks) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'agent stop hook failed');
        }
      }
      await supervisor.stop();
      await api.close();
      resolveDone(exitCode);
      return exitCode;
    })();
    return stopping;
  }
  return { port, api, supervisor, upgrader, bootstrapPath, done, stop };
}

/**
 * SIGTERM/SIGINT: graceful stop (the proxy drains), then exit with the agent's code. A second signal kills the
 * proxies and exits 1 at once.
 */
export function installAgentSignals(agent: RunningAgent, exit: (code: number) => void = (c) => process.exit(c)): void {
  let signalled = false;
  const onSignal = (): void => {
    if (signalled) {
      agent.supervisor.kill();
      exit(1);
      return;
    }
    signalled = true;
    void agent.stop(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  void agent.done.then(exit);
}
