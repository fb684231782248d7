import { spawn, type ChildProcess } from 'node:child_process';
import { HOT_UPGRADE_ENV } from '@weft/proxy/server/hot-upgrade/protocol';
import { SUPERVISOR_PID_ENV } from '@weft/proxy/server/supervisor-env';

/** How to start `weft proxy`: which binary, and the proxy options besides the bootstrap. */
export interface ProxyCommand {
  /** A `weft.js` (run with this Node, process.execPath) or an executable taking the `weft` arguments. */
  readonly binary: string;
  readonly bootstrapPath: string;
  /** Further `weft proxy` options (--concurrency, --drain-time, --log-level). */
  readonly args: readonly string[];
  /** Run as this uid/gid (the agent must be root, or be that user). */
  readonly user?: { readonly uid: number; readonly gid: number } | undefined;
}

export function proxyArgv(cmd: ProxyCommand, binary: string = cmd.binary): { file: string; args: string[] } {
  const args = ['proxy', '--config', cmd.bootstrapPath, ...cmd.args];
  return /\.[cm]?js$/.test(binary) ? { file: process.execPath, args: [binary, ...args] } : { file: binary, args };
}

/**
 * Spawns the proxy with the agent's stdio and an IPC channel with `advanced` serialization (hot upgrade sends
 * Buffers and handles over it). `hotUpgrade` marks NEW in an upgrade; otherwise the marker is never inherited.
 */
export function spawnProxy(cmd: ProxyCommand, binary: string | undefined, hotUpgrade: boolean): ChildProcess {
  const { file, args } = proxyArgv(cmd, binary ?? cmd.binary);
  const env = { ...process.env };
  delete env[HOT_UPGRADE_ENV];
  if (hotUpgrade) env[HOT_UPGRADE_ENV] = '1';
  env[SUPERVISOR_PID_ENV] = String(process.pid);
  const user = cmd.user === undefined ? {} : { uid: cmd.user.uid, gid: cmd.user.gid };
  return spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env, ...user });
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
