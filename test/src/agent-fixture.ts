import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, request } from '@weft/testing';
import { eventually } from './mesh-fixture.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEFT_JS = path.join(repoRoot, 'packages', 'cli', 'bin', 'weft.js');

/** A `weft ...` child process (stderr, where logs go, kept for assertions). */
export interface WeftChild {
  readonly child: ChildProcess;
  stderr: string;
  /** Resolves with the exit code (or signal name) once it has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

export function spawnWeft(args: readonly string[], env: Record<string, string> = {}): WeftChild {
  const child = spawn(process.execPath, [WEFT_JS, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const w: WeftChild = {
    child,
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await w.exited;
        clearTimeout(t);
      }
      return w.exited;
    },
  };
  child.stderr?.on('data', (c: Buffer) => (w.stderr += c.toString()));
  return w;
}

/** `weft control-plane --config-dir dir` on free loopback ports, once its /ready answers. */
export async function startControlPlaneProcess(dir: string): Promise<WeftChild & { xdsPort: number; httpPort: number }> {
  const [xdsPort, httpPort] = [await freePort(), await freePort()];
  const cp = spawnWeft(['control-plane', '--config-dir', dir, '--xds-address', `127.0.0.1:${xdsPort}`, '--http-address', `127.0.0.1:${httpPort}`, '--debounce', '20', '-l', 'warning']);
  await until(async () => (await request(httpPort, '/ready').catch(() => ({ status: 0 }))).status === 200);
  return Object.assign(cp, { xdsPort, httpPort });
}

export interface AgentStatusJson {
  agent: { pid: number };
  proxy: { pid: number | null; state: string; ready: boolean; serverState: string; restarts: number; uptimeMs: number; lastExit: { pid: number; signal: string | null; code: number | null; at: string } | null };
  upgrade: { inProgress: boolean; last: Record<string, unknown> | null };
  identity: { nodeId: string; service: string; namespace: string; labels: Record<string, string> };
}

export async function agentStatus(port: number): Promise<AgentStatusJson> {
  const res = await request(port, '/status');
  if (res.status !== 200) throw new Error(`agent /status answered ${res.status}`);
  return JSON.parse(res.body) as AgentStatusJson;
}

/** Polls `check` until it holds; generous (30 s) because process start-ups crawl on a loaded CI machine. */
export function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  return eventually(check, ms);
}

/** Whether a process with this pid still exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
