import type { ChildProcess } from 'node:child_process';
import { Backoff, type BackoffPolicy } from './backoff.js';
import { isRunning, spawnProxy, type ProxyCommand } from './proxy-process.js';
import { drainBeforeStop } from './proxy-drain.js';
import { probeReady } from './readiness.js';

/** starting: spawned, not yet ready; running: ready once; backoff: waiting to restart; failed: gave up. */
export type ProxyState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface ExitRecord {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly uptimeMs: number;
  readonly at: string;
}

export interface SupervisorOptions {
  readonly command: ProxyCommand;
  readonly adminPort: number;
  readonly backoff: BackoffPolicy;
  /** How often the proxy admin `/ready` is polled. */
  readonly readyIntervalMs: number;
  /** Longest wait for active connections to finish after the graceful drain and before the SIGTERM (0 = SIGTERM at once). */
  readonly terminationDrainMs: number;
  /** Called once when supervision ends by itself: 0 after a once-LIVE proxy quit with code 0 (/quitquitquit), 1 on giving up. */
  readonly onEnd: (exitCode: number, why: string) => void;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Runs one `weft proxy` child at a time: restarts it with exponential backoff when it crashes, tracks its readiness
 * from the admin `/ready`, stops it gracefully. An upgrade (see upgrade.ts) swaps the supervised child through
 * `adopt()`; the processes it retires may exit without that counting as a crash.
 */
export class ProxySupervisor {
  private proc: ChildProcess | undefined;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly backoff: Backoff;
  private readonly exitWaiters = new Set<() => void>();
  private readonly readyWaiters = new Set<(ready: boolean) => void>();
  private deferredExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** While an upgrade runs, the old child's exit is judged only once the upgrade settles. */
  private holding = false;
  state: ProxyState = 'starting';
  ready = false;
  serverState = 'UNREACHABLE';
  restarts = 0;
  /** How long the current proxy took from spawn (or from its promotion by an upgrade) to its first LIVE. */
  readyAfterMs: number | undefined;
  lastExit: ExitRecord | undefined;
  /** Children whose exit is expected (an upgraded-away proxy, an aborted NEW); kept to be stopped with the agent. */
  readonly others = new Set<ChildProcess>();

  constructor(private readonly opts: SupervisorOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  get child(): ChildProcess | undefined {
    return this.proc;
  }

  get command(): ProxyCommand {
    return this.opts.command;
  }

  get adminPort(): number {
    return this.opts.adminPort;
  }

  uptimeMs(): number {
    return this.proc ? Math.round(performance.now() - this.startedAt) : 0;
  }

  /** Resolves true once the proxy is (or becomes) ready, false if supervision stops first. */
  whenReady(): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.state === 'stopping' || this.state === 'stopped' || this.state === 'failed') return Promise.resolve(false);
    return new Promise((resolve) => this.readyWaiters.add(resolve));
  }

  private notifyReady(ready: boolean): void {
    const waiters = [...this.readyWaiters];
    this.readyWaiters.clear();
    for (const w of waiters) w(ready);
  }

  start(): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.restartTimer = undefined;
    this.pollTimer ??= setInterval(() => void this.poll(), this.opts.readyIntervalMs);
    const child = spawnProxy(this.opts.command, undefined, false);
    this.attach(child);
    this.state = 'starting';
    this.opts.log('proxy started', { pid: child.pid, restarts: this.restarts });
  }

  /** Watches a child's exit: the supervised one's exit is a crash (or a clean quit), any other is expected. */
  attach(child: ChildProcess): void {
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.once('error', (err) => {
      this.opts.log('proxy spawn failed', { err: err.message });
      if (child.pid === undefined) this.onExit(child, 127, null);
    });
    if (!this.proc) this.setCurrent(child);
    else this.others.add(child);
  }

  private setCurrent(child: ChildProcess): void {
    this.proc = child;
    this.startedAt = performance.now();
    this.ready = false;
    this.serverState = 'UNREACHABLE';
    this.readyAfterMs = undefined;
  }

  /** An upgrade is running: defer judging the current child's exit. */
  hold(): void {
    this.holding = true;
  }

  /**
   * The upgrade settled. With `next` (the upgrade succeeded) it becomes the supervised child and the old one is
   * expected to drain and exit. Without it the old child stays; if it died meanwhile that is a crash now.
   */
  release(next: ChildProcess | undefined): void {
    this.holding = false;
    const deferred = this.deferredExit;
    this.deferredExit = undefined;
    if (next) {
      const old = this.proc;
      this.others.delete(next);
      if (old && isRunning(old)) this.others.add(old);
      this.proc = undefined;
      this.setCurrent(next);
      this.state = 'starting';
      if (!isRunning(next)) this.onExit(next, next.exitCode, next.signalCode);
      return;
    }
    if (deferred && this.proc) this.onExit(this.proc, deferred.code, deferred.signal);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.proc) {
      this.others.delete(child);
      this.notifyExit();
      return;
    }
    if (this.holding) {
      this.deferredExit = { code, signal };
      return;
    }
    const uptimeMs = Math.round(performance.now() - this.startedAt);
    this.lastExit = { pid: child.pid ?? 0, code, signal, uptimeMs, at: new Date().toISOString() };
    this.proc = undefined;
    this.ready = false;
    this.serverState = 'UNREACHABLE';
    this.notifyExit();
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.opts.log('proxy exited', { ...this.lastExit });
    if (code === 0 && signal === null && this.readyAfterMs !== undefined) {
      // Like Istio's agent: a proxy that quits on purpose (/quitquitquit) ends the agent too. One that never became
      // LIVE failed to start, whatever its code: restart it.
      this.finish('stopped', 0, 'proxy exited with code 0');
      return;
    }
    const delay = this.backoff.onCrash(uptimeMs);
    if (delay === undefined) {
      this.finish('failed', 1, `proxy crashed ${this.backoff.consecutiveCrashes} times in a row; giving up`);
      return;
    }
    this.state = 'backoff';
    this.restarts++;
    this.opts.log('proxy restart scheduled', { delayMs: delay, restarts: this.restarts });
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  private finish(state: ProxyState, exitCode: number, why: string): void {
    this.state = state;
    clearInterval(this.pollTimer);
    this.notifyReady(false);
    this.opts.onEnd(exitCode, why);
  }

  private notifyExit(): void {
    for (const w of this.exitWaiters) w();
  }

  private async poll(): Promise<void> {
    const child = this.proc;
    if (this.polling || !child || this.holding) return;
    this.polling = true;
    try {
      const probe = await probeReady(this.opts.adminPort, Math.max(200, this.opts.readyIntervalMs));
      if (child !== this.proc) return;
      this.ready = probe.ready;
      this.serverState = probe.state;
      if (probe.ready && this.state === 'starting') {
        this.state = 'running';
        this.readyAfterMs = this.uptimeMs();
        this.opts.log('proxy ready', { pid: child.pid, afterMs: this.readyAfterMs });
      }
      if (probe.ready) this.notifyReady(true);
    } finally {
      this.polling = false;
    }
  }

  private all(): ChildProcess[] {
    return [...(this.proc ? [this.proc] : []), ...this.others].filter(isRunning);
  }

  /**
   * Graceful stop, no restarts from now on: the termination drain (see drainBeforeStop), then SIGTERM to every proxy
   * child; resolves when all have exited.
   */
  async stop(): Promise<void> {
    if (this.state !== 'stopped') this.state = 'stopping';
    clearInterval(this.pollTimer);
    this.notifyReady(false);
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.holding = false;
    if (this.proc && isRunning(this.proc) && this.opts.terminationDrainMs > 0) {
      const waitedMs = await drainBeforeStop(this.opts.adminPort, this.opts.terminationDrainMs, this.opts.readyIntervalMs, () => this.all().length === 0);
      this.opts.log('proxy drained', { waitedMs });
    }
    for (const c of this.all()) c.kill('SIGTERM');
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.all().length > 0) return;
        this.exitWaiters.delete(check);
        this.state = 'stopped';
        resolve();
      };
      this.exitWaiters.add(check);
      check();
    });
  }

  /** SIGKILL to every proxy child (a second signal to the agent). */
  kill(): void {
    for (const c of this.all()) c.kill('SIGKILL');
  }
}
