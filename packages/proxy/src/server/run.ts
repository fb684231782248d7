import cluster, { type Worker } from 'node:cluster';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';
import { loadBootstrapIsolated } from '../config/load-bootstrap.js';
import { reopenAllAccessLogs, flushAllAccessLogs } from '../observability/access-log/access-log-factory.js';
import { parseSocketAddress } from '../network/address.js';
import { AdminServer } from './admin-server.js';
import { LocalAdminBackend } from './local-admin-backend.js';
import { configureLogger, logger, type LogLevel } from './logger.js';
import { ProxyServer } from './proxy-server.js';
import { loadExtensionsFor } from '../extensions/optional-extensions.js';
import { WorkerAdminBackend } from './worker-admin-backend.js';
import { reportFailed, reportReady, serveWorkerIpc } from './worker.js';
import { isWorkerToMain } from './worker-protocol.js';
import { SUPERVISOR_PID_ENV } from './supervisor-env.js';
import { CONCURRENCY_REFUSAL, DEFAULT_UPGRADE_TIMEOUT_MS } from './hot-upgrade/upgrade-report.js';
import { isUpgradeSuccessor, receiveHandover } from './hot-upgrade/successor.js';
import { installUpgradeTriggers } from './hot-upgrade/triggers.js';
import { HotUpgrader } from './hot-upgrade/upgrader.js';

export interface RunProxyOptions {
  readonly configPath: string;
  readonly concurrency: number;
  readonly logLevel: LogLevel;
  readonly drainTimeMs: number;
  /** Hot upgrade: how long NEW has to be serving before the upgrade is aborted (default 30 s). */
  readonly upgradeTimeoutMs?: number;
}

/** A started proxy (single process, or main process of several workers). */
export interface RunningProxy {
  readonly adminPort: number | undefined;
  stop(): Promise<void>;
}

const WORKER_ENV = 'WEFT_PROXY_WORKER';
const RESTART_DELAY_MS = 1000;

/** Runs `weft proxy` in this process: single-process, main process of N workers, or a worker. */
export async function runProxy(opts: RunProxyOptions): Promise<RunningProxy> {
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return runWorker(opts);
  configureLogger({ level: opts.logLevel });
  const bootstrap = await loadBootstrapIsolated(opts.configPath);
  await loadExtensionsFor(bootstrap);
  const commandLine = { config_path: opts.configPath, concurrency: opts.concurrency, log_level: opts.logLevel, drain_time_s: opts.drainTimeMs / 1000 };
  const upgradeTimeoutMs = opts.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS;
  if (opts.concurrency <= 1) {
    const server = new ProxyServer(bootstrap, { serveTraffic: true, concurrency: 1, drainTimeMs: opts.drainTimeMs, configPath: opts.configPath });
    // Hot upgrade, NEW side: OLD's state and listening sockets first; the listeners below adopt those sockets.
    const successor = isUpgradeSuccessor() ? await receiveHandover(upgradeTimeoutMs) : undefined;
    if (successor) server.inheritStats(successor.state.stats);
    await server.start(successor ? { inheritedXds: successor.state.xds } : {});
    let admin: AdminServer | undefined;
    const stop = async (): Promise<void> => {
      await admin?.close();
      await server.stop();
    };
    const exit = (): void => void stop().finally(() => {
      flushAllAccessLogs();
      process.exit(0);
    });
    let adminPort: number | undefined;
    let adminAddr: { host: string; port: number } | undefined;
    const upgrader = new HotUpgrader({
      server,
      get admin() {
        return admin && adminAddr ? { server: admin, ...adminAddr } : undefined;
      },
      drainTimeMs: opts.drainTimeMs,
      readyTimeoutMs: upgradeTimeoutMs,
      exit,
      predecessorMoved: () => successor?.connectionsMoved ?? Promise.resolve(),
    });
    if (bootstrap.admin?.address) {
      const addr = parseSocketAddress(bootstrap.admin.address, 'admin.address');
      admin = new AdminServer(new LocalAdminBackend(server, commandLine, exit, (req) => upgrader.adminUpgrade(req)));
      adminPort = await admin.listen(addr.host, addr.port);
      adminAddr = { host: addr.host, port: addr.port };
    }
    installSignals(stop);
    installUpgradeTriggers(upgrader);
    successor?.ready(server, opts.drainTimeMs + upgradeTimeoutMs);
    logger().info({ listeners: [...server.listeners.values()].map((l) => `${l.name}@${l.port}`), adminPort }, 'weft proxy started');
    return { adminPort, stop };
  }
  if (isUpgradeSuccessor()) throw new Error(`cannot take over from the old proxy: ${CONCURRENCY_REFUSAL}`);
  return runMain(opts, bootstrap, commandLine);
}

async function runMain(opts: RunProxyOptions, bootstrap: Bootstrap__Output, commandLine: Record<string, unknown>): Promise<RunningProxy> {
  // Validate everything before forking; the main process serves admin only.
  const server = new ProxyServer(bootstrap, { serveTraffic: false, concurrency: opts.concurrency, drainTimeMs: opts.drainTimeMs, configPath: opts.configPath });
  await server.start();
  server.state = 'INITIALIZING';
  // Workers accept on the shared listening sockets themselves (no round-robin through this process).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // xDS updates carry bytes fields: structured clone keeps them.
  cluster.setupPrimary({ serialization: 'advanced' });
  let stopping = false;
  const workers = new Map<number, Worker>();
  const backend = new WorkerAdminBackend(server, () => [...workers.values()], commandLine, () => void stop().then(() => process.exit(0)));

  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [WORKER_ENV]: '1', WEFT_WORKER_INDEX: String(index) });
      workers.set(index, worker);
      backend.attach(worker);
      worker.on('message', (msg: unknown) => {
        if (!isWorkerToMain(msg)) return;
        if (msg.type === 'ready') {
          // A worker starts from the bootstrap: hand it the dynamic config accepted so far.
          for (const update of server.dynamic?.replay() ?? []) worker.send({ type: 'xds', id: 0, update });
          resolve();
        }
        if (msg.type === 'failed') reject(new Error(msg.error));
      });
      worker.on('exit', (code, signal) => {
        workers.delete(index);
        if (stopping) return;
        logger().error({ worker: index, code, signal }, 'worker exited; restarting');
        setTimeout(() => void fork(index).catch((err: unknown) => logger().error({ err }, 'worker restart failed')), RESTART_DELAY_MS).unref();
      });
    });

  if (server.dynamic) {
    server.dynamic.onAccepted = (update) => {
      for (const w of workers.values()) if (w.isConnected()) w.send({ type: 'xds', id: 0, update });
    };
  }
  await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => fork(i)));
  server.state = 'LIVE';
  let admin: AdminServer | undefined;
  let adminPort: number | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    await admin?.close();
    const exits = [...workers.values()].map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.send({ type: 'shutdown', id: 0 });
      setTimeout(() => w.kill('SIGKILL'), 5000).unref();
    }));
    await Promise.all(exits);
    await server.stop();
  };
  if (bootstrap.admin?.address) {
    const addr = parseSocketAddress(bootstrap.admin.address, 'admin.address');
    admin = new AdminServer(backend);
    adminPort = await admin.listen(addr.host, addr.port);
  }
  installSignals(stop);
  process.on('SIGHUP', () => logger().error({ reason: CONCURRENCY_REFUSAL }, 'hot upgrade refused'));
  logger().info({ workers: opts.concurrency, adminPort }, 'weft proxy started');
  return { adminPort, stop };
}

async function runWorker(opts: RunProxyOptions): Promise<RunningProxy> {
  configureLogger({ level: opts.logLevel, bindings: { worker: Number(process.env['WEFT_WORKER_INDEX'] ?? 0) } });
  let server: ProxyServer;
  try {
    const bootstrap = await loadBootstrapIsolated(opts.configPath);
    await loadExtensionsFor(bootstrap);
    server = new ProxyServer(bootstrap, {
      serveTraffic: true,
      concurrency: opts.concurrency,
      drainTimeMs: opts.drainTimeMs,
      configPath: opts.configPath,
      runXdsClient: false,
    });
    await server.start();
  } catch (err) {
    reportFailed((err as Error).message);
    process.exit(1);
  }
  const stop = async (): Promise<void> => {
    await server.stop();
  };
  const exit = (): void => void stop().finally(() => process.exit(0));
  serveWorkerIpc(server, exit);
  process.on('SIGUSR1', () => reopenAllAccessLogs());
  // The main process coordinates shutdown; a terminal's Ctrl-C reaches the whole process group.
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', exit);
  process.once('disconnect', exit);
  reportReady(server);
  return { adminPort: undefined, stop };
}

function installSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (): void => {
    // A repeated signal (e.g. sent to the whole process group and to us) must not cut the graceful stop short.
    if (stopping) return;
    stopping = true;
    void stop().finally(() => {
      flushAllAccessLogs();
      process.exit(0);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGUSR1', () => reopenAllAccessLogs());
  if (process.connected && process.env[SUPERVISOR_PID_ENV] === String(process.ppid)) {
    process.once('disconnect', () => {
      logger().warn({ supervisor: process.ppid }, 'supervisor gone (IPC channel closed); stopping');
      onSignal();
    });
  }
}
