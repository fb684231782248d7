import type { ChildProcess } from 'node:child_process';
import type { AdminServer } from '../admin-server.js';
import type { HotUpgradeRequest, HotUpgradeResponse } from '../admin-backend.js';
import { logger } from '../logger.js';
import type { ProxyServer } from '../proxy-server.js';
import { WEFT_VERSION } from '../version.js';
import { childChannel, parentChannel, type UpgradeChannel } from './channel.js';
import { drainAndExit } from './drain.js';
import { handoverMessage, isUpgradeMessage, type UpgradeMessage } from './protocol.js';
import { spawnSuccessor } from './spawn-successor.js';
import type { UpgradeOutcome } from './upgrade-report.js';

/** What the OLD side of an upgrade needs from the running proxy. */
export interface UpgradeHost {
  readonly server: ProxyServer;
  readonly admin: { readonly server: AdminServer; readonly host: string; readonly port: number } | undefined;
  readonly drainTimeMs: number;
  /** Default deadline for NEW to be ready (--upgrade-timeout). */
  readonly readyTimeoutMs: number;
  /** Stops the proxy and exits the process (OLD, drained). */
  exit(): void;
  /**
   * This process took over from another that may still be moving connections here: settles once it is done (see
   * Successor.connectionsMoved). An upgrade asked for meanwhile starts then.
   */
  readonly predecessorMoved?: () => Promise<void>;
}

interface Attempt {
  readonly channel: UpgradeChannel;
  readonly startedAt: number;
  readonly timeoutMs: number;
  readonly child: ChildProcess | undefined;
  newPid: number | undefined;
  helloMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
  done: (outcome: UpgradeOutcome) => void;
  onMessage: (msg: unknown, handle: unknown) => void;
  onChildExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
}

/**
 * OLD side of a hot upgrade: hands this process's xDS state, counters and listening sockets to NEW, and once NEW
 * is ready stops accepting and drains; on abort nothing here changed and the proxy keeps serving. One upgrade at
 * a time; once handed over (draining), this process cannot be upgraded again (NEW can).
 */
export class HotUpgrader {
  private attempt: Attempt | undefined;
  private handedOver = false;

  constructor(private readonly host: UpgradeHost) {}

  /** Standalone upgrade (SIGHUP, admin): spawn NEW ourselves and hand over to it. */
  async upgrade(req: HotUpgradeRequest = {}): Promise<UpgradeOutcome> {
    const early = this.refusal();
    if (early) return early;
    await this.predecessorMoved();
    const refused = this.refusal(); // another request may have started one meanwhile
    if (refused) return refused;
    let child: ChildProcess;
    try {
      child = spawnSuccessor(req.binary);
    } catch (err) {
      return this.failed(performance.now(), `cannot start the new proxy: ${(err as Error).message}`, undefined);
    }
    return this.run(childChannel(child), req.timeoutMs ?? this.host.readyTimeoutMs, child);
  }

  /** Agent mode (`begin` from the parent): hand over to the process at the other end of the parent's relay. */
  async handOverToParent(readyTimeoutMs: number): Promise<UpgradeOutcome> {
    const channel = parentChannel();
    await this.predecessorMoved();
    const refused = this.refusal();
    if (refused) {
      // The relay forwards this to NEW, which exits: the broker's upgrade settles now rather than at its deadline.
      if (!refused.ok) channel?.send({ weftUpgrade: 1, type: 'abort', reason: refused.reason });
      return Promise.resolve(refused);
    }
    if (!channel) return Promise.resolve(this.failed(performance.now(), 'no IPC channel to a parent', undefined));
    // The broker enforces the deadline and sends `abort`; ours is only a backstop should the broker vanish.
    return this.run(channel, readyTimeoutMs + 1000, undefined);
  }

  /** Admin endpoint answer. */
  async adminUpgrade(req: HotUpgradeRequest): Promise<HotUpgradeResponse> {
    const refused = this.refusal();
    if (refused) return { status: 409, report: refused };
    const outcome = await this.upgrade(req);
    return { status: outcome.ok ? 200 : 503, report: outcome };
  }

  private predecessorMoved(): Promise<void> {
    return this.host.predecessorMoved?.() ?? Promise.resolve();
  }

  private refusal(): UpgradeOutcome | undefined {
    const reason = this.handedOver ? 'this process already handed over to a new one and is draining' : this.attempt ? 'an upgrade is already in progress' : undefined;
    if (reason === undefined) return undefined;
    logger().warn({ reason }, 'hot upgrade refused');
    return this.failed(performance.now(), reason, undefined);
  }

  private failed(startedAt: number, reason: string, newPid: number | undefined): UpgradeOutcome {
    return { ok: false, old_pid: process.pid, ...(newPid !== undefined ? { new_pid: newPid } : {}), reason, aborted_after_ms: round(performance.now() - startedAt) };
  }

  private run(channel: UpgradeChannel, timeoutMs: number, child: ChildProcess | undefined): Promise<UpgradeOutcome> {
    return new Promise((resolve) => {
      const a: Attempt = {
        channel,
        startedAt: performance.now(),
        timeoutMs,
        child,
        newPid: child?.pid,
        helloMs: undefined,
        timer: undefined,
        done: resolve,
        onMessage: (msg, handle) => this.onMessage(a, msg, handle),
        onChildExit: undefined,
      };
      this.attempt = a;
      channel.onMessage(a.onMessage);
      a.timer = setTimeout(() => this.abort(a, `new proxy was not ready within ${timeoutMs} ms`, true), timeoutMs);
      if (child) {
        a.onChildExit = (code, signal) => this.abort(a, `new proxy exited before it was ready (code ${String(code)}, signal ${String(signal)})`, false);
        child.once('exit', a.onChildExit);
        child.once('error', (err) => this.abort(a, `cannot start the new proxy: ${err.message}`, false));
      }
      logger().info({ pid: process.pid, newPid: a.newPid, timeoutMs }, 'hot upgrade: started');
    });
  }

  private onMessage(a: Attempt, msg: unknown, _handle: unknown): void {
    if (this.attempt !== a || !isUpgradeMessage(msg)) return;
    const m = msg as UpgradeMessage;
    switch (m.type) {
      case 'hello':
        a.newPid = m.pid;
        a.helloMs = performance.now() - a.startedAt;
        this.sendHandover(a.channel);
        return;
      case 'ready':
        this.succeed(a, m.pid);
        return;
      case 'abort':
        this.abort(a, m.reason, false);
        return;
      default:
        return;
    }
  }

  private sendHandover(channel: UpgradeChannel): void {
    const { server, admin } = this.host;
    const stats = server.statsSnapshot();
    channel.send(handoverMessage('state', { pid: process.pid, version: WEFT_VERSION, xds: server.dynamic?.replay() ?? [], stats: { ...stats, gauges: [] } }));
    for (const l of server.listeners.values()) {
      const handle = l.rawHandle();
      if (!handle) continue;
      const { host, port } = l.listenerConfig.address;
      channel.send(handoverMessage('listener', { listener: { name: l.name, host, port, boundPort: l.port } }), handle);
    }
    const adminHandle = admin?.server.rawHandle();
    if (admin && adminHandle) {
      channel.send(handoverMessage('listener', { listener: { name: '', host: admin.host, port: admin.port, boundPort: admin.port } }), adminHandle);
    }
    channel.send(handoverMessage('sockets-done', {}));
  }

  private settle(a: Attempt): void {
    clearTimeout(a.timer);
    a.channel.offMessage(a.onMessage);
    if (a.child && a.onChildExit) a.child.off('exit', a.onChildExit);
    this.attempt = undefined;
  }

  private succeed(a: Attempt, newPid: number): void {
    this.settle(a);
    this.handedOver = true;
    const outcome: UpgradeOutcome = {
      ok: true,
      old_pid: process.pid,
      new_pid: newPid,
      hello_ms: round(a.helloMs ?? 0),
      ready_ms: round(performance.now() - a.startedAt),
      old_exit_deadline_ms: this.host.drainTimeMs,
    };
    logger().info(outcome, 'hot upgrade: new proxy is serving; draining this one');
    // NEW outlives us: do not let its handle or channel hold this process.
    a.child?.unref();
    this.host.admin?.server.stopListening();
    drainAndExit({ server: this.host.server, channel: a.channel, drainTimeMs: this.host.drainTimeMs, exit: () => this.host.exit() });
    a.done(outcome);
  }

  private abort(a: Attempt, reason: string, tellNew: boolean): void {
    if (this.attempt !== a) return;
    this.settle(a);
    if (tellNew) a.channel.send({ weftUpgrade: 1, type: 'abort', reason });
    const child = a.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const outcome = this.failed(a.startedAt, reason, a.newPid);
    logger().warn(outcome, 'hot upgrade: aborted; this proxy keeps serving');
    a.done(outcome);
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
