import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, request } from '@weft/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEFT_BIN = path.join(repoRoot, 'packages', 'cli', 'bin', 'weft.js');

/** Whether a load tool is on PATH (CI installs wrk and h2load; a missing one skips loudly). */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An upgraded process's successor outlives its parent: when it exits in turn, it stays a zombie until the
  // adopting init reaps it (seconds in a container), and kill(pid, 0) still succeeds on a zombie.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return existsSync('/proc/self') ? false : true;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** One HTTP listener (HTTP/1.1 and h2c, codec AUTO) routing everything to one cluster; admin on a fixed port. */
export function upgradeBootstrap(o: { port: number; adminPort: number; upstreamPort: number; h2Upstream?: boolean }): string {
  return `node: { id: hot-upgrade, cluster: test }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${o.adminPort} } } }
static_resources:
  listeners:
  - name: http
    address: { socket_address: { address: 127.0.0.1, port_value: ${o.port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: edge
          # Between the HTTP/2 drain notice and the final GOAWAY (Envoy's default is 5 s).
          drain_timeout: 0.5s
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: backend, timeout: 0s }
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: backend
    type: STATIC
    connect_timeout: 1s
${o.h2Upstream ? '    typed_extension_protocol_options:\n      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n        explicit_http_config: { http2_protocol_options: {} }\n' : ''}    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${o.upstreamPort} } } }
`;
}

export interface UpgradeReport {
  readonly ok: boolean;
  readonly old_pid: number;
  readonly new_pid?: number;
  readonly ready_ms?: number;
  readonly hello_ms?: number;
  readonly old_exit_deadline_ms?: number;
  readonly reason?: string;
  readonly aborted_after_ms?: number;
}

/** How long an admin request may take before the harness gives up on it (a hang becomes an error naming it). */
const ADMIN_TIMEOUT_MS = 5000;

/**
 * A real `weft proxy` process (and, after upgrades, its successors: they share its stdio and admin port). `close()`
 * stops whichever processes are still alive.
 */
export class WeftProcess {
  readonly pids = new Set<number>();
  output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly adminPort: number,
    private readonly dir: string,
    private readonly upgradeTimeoutMs: number,
  ) {
    if (child.pid !== undefined) this.pids.add(child.pid);
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  /** Starts `weft proxy`; `ipc` opens an advanced-serialization IPC channel (the agent's way of spawning). */
  static async start(o: {
    upstreamPort: number;
    h2Upstream?: boolean;
    drainTimeS?: number;
    upgradeTimeoutS?: number;
    ipc?: boolean;
    env?: Record<string, string>;
    /** Another bootstrap (default: upgradeBootstrap) for the chosen listener and admin ports. */
    bootstrap?: (port: number, adminPort: number) => string;
    args?: readonly string[];
  }): Promise<WeftProcess> {
    const port = await freePort();
    const adminPort = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-upgrade-'));
    const file = path.join(dir, 'bootstrap.yaml');
    const yaml = o.bootstrap ? o.bootstrap(port, adminPort) : upgradeBootstrap({ port, adminPort, upstreamPort: o.upstreamPort, ...(o.h2Upstream ? { h2Upstream: true } : {}) });
    writeFileSync(file, yaml);
    const child = spawn(process.execPath, [WEFT_BIN, 'proxy', '-c', file, '-l', 'info', '--drain-time', String(o.drainTimeS ?? 2), '--upgrade-timeout', String(o.upgradeTimeoutS ?? 20), ...(o.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe', ...(o.ipc ? (['ipc'] as const) : [])],
      ...(o.ipc ? { serialization: 'advanced' as const } : {}),
      env: { ...process.env, ...o.env },
    });
    const proc = new WeftProcess(child, port, adminPort, dir, (o.upgradeTimeoutS ?? 20) * 1000);
    if (!o.env?.['WEFT_HOT_UPGRADE']) await proc.waitReady();
    return proc;
  }

  /** Starts a second process for the same config (the agent's NEW). */
  async spawnSuccessor(drainTimeS = 2): Promise<ChildProcess> {
    const file = path.join(this.dir, 'bootstrap.yaml');
    const child = spawn(process.execPath, [WEFT_BIN, 'proxy', '-c', file, '-l', 'info', '--drain-time', String(drainTimeS)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, WEFT_HOT_UPGRADE: '1' },
    });
    if (child.pid !== undefined) this.pids.add(child.pid);
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
    return child;
  }

  async waitReady(): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (this.child.exitCode !== null) throw new Error(`weft exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        if ((await request(this.adminPort, '/ready')).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`weft did not become ready:\n${this.output}`);
  }

  /** POST /hot_upgrade; records the new pid for cleanup. Rejects if no answer comes within the upgrade timeout. */
  async upgrade(query = ''): Promise<{ status: number; report: UpgradeReport }> {
    const res = await request(this.adminPort, `/hot_upgrade${query}`, { method: 'POST', timeoutMs: this.upgradeTimeoutMs + ADMIN_TIMEOUT_MS });
    const report = JSON.parse(res.body) as UpgradeReport;
    if (report.new_pid !== undefined) this.pids.add(report.new_pid);
    return { status: res.status, report };
  }

  async stat(name: string): Promise<number> {
    const res = await request(this.adminPort, `/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`, { timeoutMs: ADMIN_TIMEOUT_MS });
    const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(res.body);
    return m ? Number(m[1]) : 0;
  }

  async close(): Promise<void> {
    for (const pid of this.pids) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    for (const pid of this.pids) if (!(await waitForExit(pid, 5000))) process.kill(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface WrkResult {
  readonly requests: number;
  readonly socketErrors: number;
  readonly non2xx3xx: number;
  readonly output: string;
}

/** Runs `wrk -t1 -c<c> -d<s>s` (HTTP/1.1 keep-alive) and parses its summary. */
export function runWrk(port: number, seconds: number, connections = 20): Promise<WrkResult> {
  return startWrk(port, seconds, connections).result;
}

/** wrk in the background; `stop()` ends it early (SIGINT: wrk still prints its summary). */
export function startWrk(port: number, seconds: number, connections = 20): { result: Promise<WrkResult>; stop(): void } {
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result = new Promise<WrkResult>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const requests = /(\d+) requests in/.exec(output);
      if (!requests) return reject(new Error(`unexpected wrk output:\n${output}`));
      const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      const socketErrors = errs ? Number(errs[1]) + Number(errs[2]) + Number(errs[3]) + Number(errs[4]) : 0;
      const non = /Non-2xx or 3xx responses: (\d+)/.exec(output);
      resolve({ requests: Number(requests[1]), socketErrors, non2xx3xx: non ? Number(non[1]) : 0, output });
    });
  });
  return { result, stop: () => child.kill('SIGINT') };
}

export interface H2loadResult {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errored: number;
  readonly timeout: number;
  readonly output: string;
}

/** Runs h2load (h2c prior knowledge) for a duration and parses its `requests:` line. */
export function runH2load(port: number, seconds: number): Promise<H2loadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', ['-c8', '-m8', '-D', String(seconds), `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const m = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
      if (!m) return reject(new Error(`unexpected h2load output:\n${output}`));
      resolve({ total: Number(m[1]), succeeded: Number(m[2]), failed: Number(m[3]), errored: Number(m[4]), timeout: Number(m[5]), output });
    });
  });
}
