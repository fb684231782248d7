import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export interface TestEtcd {
  /** Client URLs of the members, e.g. `['http://127.0.0.1:40123']`. */
  readonly endpoints: readonly string[];
  /** Stops one member (default: all), keeping its data dir and ports for `startServer()`. */
  stopServer(member?: number): Promise<void>;
  /** Starts one member (default: all) again on the same ports and data; resolves when healthy. */
  startServer(member?: number): Promise<void>;
  /** Stops every member and removes the data dirs. */
  stop(): Promise<void>;
}

const ETCD_BIN = process.env['WEFT_ETCD_BIN'] ?? 'etcd';

interface Member {
  readonly name: string;
  readonly args: readonly string[];
  readonly clientUrl: string;
  readonly dataDir: string;
  child: ChildProcess | undefined;
}

/**
 * An etcd cluster (Debian `etcd-server`; one member unless `members` says more) on free loopback ports with
 * temporary data dirs, healthy when this resolves. Output is discarded unless WEFT_TEST_LOG is set.
 */
export async function startEtcd(opts: { members?: number } = {}): Promise<TestEtcd> {
  const count = opts.members ?? 1;
  const specs: { name: string; client: string; peer: string }[] = [];
  for (let i = 0; i < count; i++) specs.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  // One token for all members (it seeds the cluster id), distinct per test cluster.
  const token = `weft-test-${process.pid}-${specs[0]?.peer.split(':')[2] ?? '0'}`;
  const members: Member[] = specs.map((s) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-'));
    return {
      name: s.name,
      clientUrl: s.client,
      dataDir,
      child: undefined,
      args: [
        '--name', s.name,
        '--data-dir', dataDir,
        '--listen-client-urls', s.client,
        '--advertise-client-urls', s.client,
        '--listen-peer-urls', s.peer,
        '--initial-advertise-peer-urls', s.peer,
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', token,
        '--logger', 'zap',
        '--log-level', process.env['WEFT_TEST_LOG'] ? 'info' : 'error',
      ],
    };
  });
  const pick = (member: number | undefined): Member[] => {
    if (member === undefined) return members;
    const m = members[member];
    if (!m) throw new Error(`no etcd member ${member}`);
    return [m];
  };
  const startServer = async (member?: number): Promise<void> => {
    // Members of a new cluster wait for each other: start them all, then wait for health.
    await Promise.all(pick(member).map((m) => startMember(m)));
  };
  const stopServer = async (member?: number): Promise<void> => {
    await Promise.all(pick(member).map((m) => stopMember(m)));
  };
  const removeAll = async (): Promise<void> => {
    await stopServer();
    for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
  };
  try {
    await startServer();
  } catch (err) {
    await removeAll();
    throw err;
  }
  return { endpoints: members.map((m) => m.clientUrl), stopServer, startServer, stop: removeAll };
}

async function startMember(m: Member): Promise<void> {
  const proc = spawn(ETCD_BIN, m.args, { stdio: process.env['WEFT_TEST_LOG'] ? 'inherit' : 'ignore' });
  m.child = proc;
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`etcd ${m.name} exited with ${code} before it was healthy`)));
  });
  exited.catch(() => undefined);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await Promise.race([isHealthy(m.clientUrl), exited])) return;
    if (Date.now() > deadline) throw new Error(`etcd ${m.name} at ${m.clientUrl} not healthy within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopMember(m: Member): Promise<void> {
  const proc = m.child;
  m.child = undefined;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

async function isHealthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.status === 200 && body.health === 'true';
  } catch {
    return false;
  }
}
