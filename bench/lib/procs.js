// Child processes: spawned pinned to a CPU with `taskset`, each in its own process group (so a forking server such
// as nginx is stopped with all its workers), output kept as a bounded tail for error messages.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup, onGracefulStop } from './cleanup.js';

const TAIL_BYTES = 8192;

export class ManagedProcess {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.exitCode = null;
    this.exitSignal = null;
    this.spawnError = null;
    this.running = true;
    this.out = '';
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.spawnError = err;
        this.running = false;
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.running = false;
        resolve();
      });
    });
    const keep = (chunk) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > 4 * TAIL_BYTES) this.out = this.out.slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const unregisterKill = onCleanup(() => this.killGroup('SIGKILL'));
    const unregisterStop = onGracefulStop(() => this.stop());
    this.unregister = () => {
      unregisterKill();
      unregisterStop();
    };
  }

  /** Last bytes of combined stdout/stderr, trimmed. */
  tail(bytes = 1500) {
    return this.out.slice(-bytes).trim();
  }

  /** "exited with code 1" / "killed by SIGSEGV" / "could not spawn: ENOENT". */
  describeExit() {
    if (this.spawnError) return `could not spawn: ${this.spawnError.message}`;
    if (this.exitSignal) return `killed by ${this.exitSignal}`;
    return `exited with code ${this.exitCode}`;
  }

  killGroup(signal) {
    if (!this.running || this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  async stop(graceMs = 3000) {
    if (this.running) {
      this.killGroup('SIGTERM');
      let timer;
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      });
      const late = await Promise.race([this.exited.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) {
        this.killGroup('SIGKILL');
        await this.exited;
      }
    }
    // The leader is gone; make sure no forked worker of its group survives either.
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // group empty
    }
    this.unregister();
  }
}

/**
 * Starts `command args...` as `taskset -c <cpu> command args...` (taskset execs, so the pid is the command's).
 * `cpu` may be null for no pinning.
 */
export function startProcess(name, command, args, { cpu = null, cwd, env } = {}) {
  const [cmd, argv] = cpu === null ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
  const child = spawn(cmd, argv, {
    cwd,
    env: env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ManagedProcess(name, child);
}

/** A temp dir removed at exit. */
export function makeTempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The pid and every descendant pid (scans /proc: this kernel has no task/<tid>/children). */
export function processTree(rootPid) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm may contain spaces and parens: fields after the last ')' are "state ppid ..."
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(rest[1]));
    } catch {
      // raced with an exit
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Re-pins a running process, all its threads and all its descendants to `cpu`. */
export function pinTree(rootPid, cpu) {
  for (const pid of processTree(rootPid)) {
    const res = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`taskset -a -p -c ${cpu} ${pid} failed: ${res.stderr || res.error?.message}`);
  }
}

/** `Cpus_allowed_list` of a pid, e.g. "0". */
export function allowedCpus(pid) {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1] : '?';
  } catch {
    return '?';
  }
}

export function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure every `{ cmd, pkg }` is on PATH, installing the Debian packages of the missing ones with apt-get.
 * Throws an Error with a clear message if that is impossible.
 */
export function ensureCommands(needed, log) {
  const missing = needed.filter((n) => !commandExists(n.cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const what = missing.map((m) => `${m.cmd} (${m.pkg})`).join(', ');
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${what}; install with: sudo apt-get install -y ${pkgs.join(' ')}`);
  }
  log(`installing ${pkgs.join(' ')} with apt-get (missing: ${what})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for another apt/dpkg run instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const update = spawnSync('apt-get', [...lock, 'update', '-qq'], { env, encoding: 'utf8' });
  if (update.status !== 0) {
    throw new Error(`apt-get update failed (needed for ${what}): ${(update.stderr || update.error?.message || '').trim()}`);
  }
  const install = spawnSync('apt-get', [...lock, 'install', '-y', '-qq', ...pkgs], { env, encoding: 'utf8' });
  const still = missing.filter((m) => !commandExists(m.cmd));
  if (install.status !== 0 || still.length > 0) {
    const detail = (install.stderr || install.error?.message || '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`apt-get install -y ${pkgs.join(' ')} failed; still missing: ${still.map((m) => m.cmd).join(', ') || 'none'}\n${detail}`);
  }
}
