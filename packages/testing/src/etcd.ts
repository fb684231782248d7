import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export interface TestEtcd {
  /** Client URLs, e.g. `['http://127.0.0.1:40123']`. */
  readonly endpoints: readonly string[];
  /** Stops the server, keeping its data dir and ports (for `start()` again). */
  stopServer(): Promise<void>;
  /** Starts the server again on the same ports and data. */
  startServer(): Promise<void>;
  /** Stops the server and removes its data dir. */
  stop(): Promise<void>;
}

const ETCD_BIN = process.env['WEFT_ETCD_BIN'] ?? 'etcd';

/**
 * A single-member etcd (Debian `etcd-server`) on free loopback ports with a temporary data dir, healthy when this
 * resolves. Its output is discarded unless WEFT_TEST_LOG is set.
 */
export async function startEtcd(): Promise<TestEtcd> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'weft-test',
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `weft-test=${peerUrl}`,
    '--logger', 'zap',
    '--log-level', process.env['WEFT_TEST_LOG'] ? 'info' : 'error',
  ];
  let child: ChildProcess | undefined;

  const startServer = async (): Promise<void> => {
    const proc = spawn(ETCD_BIN, args, { stdio: process.env['WEFT_TEST_LOG'] ? 'inherit' : 'ignore' });
    child = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`etcd exited with ${code} before it was healthy`)));
    });
    exited.catch(() => undefined);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const healthy = await Promise.race([isHealthy(clientUrl), exited]);
      if (healthy) return;
      if (Date.now() > deadline) throw new Error(`etcd at ${clientUrl} not healthy within 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stopServer = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };

  try {
    await startServer();
  } catch (err) {
    await stopServer();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoints: [clientUrl],
    stopServer,
    startServer,
    async stop() {
      await stopServer();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
