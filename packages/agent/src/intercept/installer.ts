import { spawn } from 'node:child_process';
import { natScript, parseInstalled, removalLines, type InstalledState } from './iptables-state.js';
import { conntrackAnchor, interceptRules, type InterceptConfig } from './rules.js';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (argv[0] from PATH) with optional stdin; never rejects for a non-zero exit. */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandResult>;

export const spawnRunner: CommandRunner = (argv, input) =>
  new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      // A command that exits before reading its input reports through its exit code, not EPIPE.
      child.stdin.on('error', noop);
      child.stdin.end(input);
    }
  });

export class InterceptInstallError extends Error {
  readonly code = 'WEFT_ERR_INTERCEPT_INSTALL';
}

export interface InstallerOptions {
  /** Run the iptables commands in this network namespace (`ip netns exec NAME ...`). */
  readonly netns?: string | undefined;
  readonly runner?: CommandRunner | undefined;
}

/**
 * Installs and removes the capture rules in the nat table, each as one iptables-restore transaction (--noflush):
 * installing replaces whatever Weft had installed before (idempotent, never a moment without rules); removing
 * deletes Weft's jumps and chains and nothing else.
 */
export class IptablesInstaller {
  private readonly run: CommandRunner;

  constructor(private readonly opts: InstallerOptions = {}) {
    this.run = opts.runner ?? spawnRunner;
  }

  /** The argv of a command, inside the namespace when one is set. */
  argv(cmd: readonly string[]): string[] {
    return this.opts.netns === undefined ? [...cmd] : ['ip', 'netns', 'exec', this.opts.netns, ...cmd];
  }

  async state(): Promise<InstalledState> {
    const r = await this.run(this.argv(['iptables', '-w', '-t', 'nat', '-S']));
    if (r.code !== 0) throw new InterceptInstallError(`iptables -t nat -S failed (${r.code}): ${r.stderr.trim()}`);
    return parseInstalled(r.stdout);
  }

  /** The iptables-restore input that installs `cfg` over `current`. */
  installScript(cfg: InterceptConfig, current: InstalledState): string {
    return natScript([...removalLines(current), ...interceptRules(cfg)]);
  }

  async install(cfg: InterceptConfig): Promise<string> {
    const script = this.installScript(cfg, await this.state());
    await this.restore(script);
    return script;
  }

  /**
   * Stops capturing new connections but keeps connection tracking on, so connections already redirected keep
   * reaching the proxy until they close (then `remove`).
   */
  async stopCapture(): Promise<void> {
    await this.restore(natScript([...removalLines(await this.state()), ...conntrackAnchor()]));
  }

  /** Removes Weft's rules; returns false when there was nothing to remove. */
  async remove(): Promise<boolean> {
    const lines = removalLines(await this.state());
    if (lines.length === 0) return false;
    await this.restore(natScript(lines));
    return true;
  }

  private async restore(script: string): Promise<void> {
    const r = await this.run(this.argv(['iptables-restore', '-w', '--noflush']), script);
    if (r.code !== 0) throw new InterceptInstallError(`iptables-restore failed (${r.code}): ${r.stderr.trim()}\n${script}`);
  }
}

function noop(): void {}
