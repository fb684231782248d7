import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relayUpgrade } from '@weft/proxy/server/hot-upgrade/relay';
import { isRunning, spawnProxy } from './proxy-process.js';
import type { ProxySupervisor } from './supervisor.js';

export const DEFAULT_UPGRADE_TIMEOUT_MS = 30_000;

export interface UpgradeRequest {
  /** Another `weft.js` / executable for NEW (default: the one the agent runs). */
  readonly binary?: string;
  /** NEW must be ready within this time, or the upgrade is aborted. */
  readonly timeoutMs?: number;
}

/** What /status shows of the last upgrade; `oldExit*` fill in when the old proxy has drained and exited. */
export interface UpgradeReport {
  ok: boolean;
  readonly startedAt: string;
  readonly fromPid: number;
  toPid: number | undefined;
  readonly binary: string;
  reason?: string;
  readyAfterMs?: number;
  oldExitAfterMs?: number;
  oldExitCode?: number | null;
}

/** A request the agent refuses before starting anything (HTTP status and reason). */
export class UpgradeRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Hot upgrade through the agent: spawns NEW with the same bootstrap and the hot-upgrade marker, relays the handover
 * between OLD and NEW (relayUpgrade), and on success makes NEW the supervised proxy. On abort NEW is gone and OLD
 * stays supervised. One upgrade at a time.
 */
export class Upgrader {
  private running: Promise<UpgradeReport> | undefined;
  last: UpgradeReport | undefined;

  constructor(private readonly sup: ProxySupervisor, private readonly log: (event: string, fields: Record<string, unknown>) => void) {}

  get inProgress(): boolean {
    return this.running !== undefined;
  }

  /** Throws UpgradeRefused when no upgrade can start; otherwise resolves with the report once NEW is ready or the upgrade is off. */
  upgrade(req: UpgradeRequest): Promise<UpgradeReport> {
    if (this.running) throw new UpgradeRefused(409, 'an upgrade is already in progress');
    const old = this.sup.child;
    if (!old || !isRunning(old) || (this.sup.state !== 'running' && this.sup.state !== 'starting')) {
      throw new UpgradeRefused(409, `no proxy to upgrade (proxy state ${this.sup.state})`);
    }
    if (req.binary !== undefined && !existsSync(req.binary)) throw new UpgradeRefused(400, `binary ${req.binary} does not exist`);
    const timeoutMs = req.timeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UpgradeRefused(400, 'timeoutMs must be a positive integer');
    this.running = this.run(old, req.binary, timeoutMs).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(old: ChildProcess, binary: string | undefined, timeoutMs: number): Promise<UpgradeReport> {
    const t0 = performance.now();
    const report: UpgradeReport = {
      ok: false,
      startedAt: new Date().toISOString(),
      fromPid: old.pid ?? 0,
      toPid: undefined,
      binary: binary ?? this.sup.command.binary,
    };
    this.last = report;
    this.sup.hold();
    const next = spawnProxy(this.sup.command, binary, true);
    report.toPid = next.pid;
    this.sup.attach(next);
    this.log('upgrade started', { fromPid: report.fromPid, toPid: report.toPid, binary: report.binary });
    const outcome = await relayUpgrade(old, next, { readyTimeoutMs: timeoutMs });
    if (outcome.ok) {
      report.ok = true;
      report.readyAfterMs = Math.round(outcome.readyAfterMs);
      const recordOldExit = (): void => {
        report.oldExitAfterMs = Math.round(performance.now() - t0);
        report.oldExitCode = old.exitCode;
        this.log('upgraded-away proxy exited', { pid: report.fromPid, afterMs: report.oldExitAfterMs, code: old.exitCode });
      };
      if (isRunning(old)) old.once('exit', recordOldExit);
      else recordOldExit();
      this.sup.release(next);
      this.log('upgrade done', { toPid: report.toPid, readyAfterMs: report.readyAfterMs });
    } else {
      report.reason = outcome.reason;
      if (isRunning(next)) next.kill('SIGKILL');
      this.sup.release(undefined);
      this.log('upgrade aborted', { reason: outcome.reason });
    }
    return report;
  }
}
