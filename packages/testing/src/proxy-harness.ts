import { parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { AdminServer } from '@weft/proxy/server/admin-server';
import { LocalAdminBackend } from '@weft/proxy/server/local-admin-backend';
import { configureLogger } from '@weft/proxy/server/logger';
import { loadExtensionsFor } from '@weft/proxy/extensions/optional-extensions';

export interface TestProxy {
  readonly server: ProxyServer;
  /** Bound port of a listener by name. */
  port(listener: string): number;
  /** Bound port of a listener, waiting for it to exist and be bound (LDS listeners start asynchronously). */
  waitPort(listener: string, timeoutMs?: number): Promise<number>;
  readonly adminPort: number;
  close(): Promise<void>;
}

/**
 * Starts an in-process proxy from bootstrap YAML (listeners may use port 0), with the admin API on a free port.
 * Logs are silenced unless WEFT_TEST_LOG is set.
 */
export async function startProxyFromYaml(yaml: string, opts: { drainTimeMs?: number } = {}): Promise<TestProxy> {
  configureLogger({ level: process.env['WEFT_TEST_LOG'] ? 'debug' : 'off' });
  const bootstrap = parseBootstrapText(yaml, 'test.yaml');
  await loadExtensionsFor(bootstrap);
  const server = new ProxyServer(bootstrap, { serveTraffic: true, concurrency: 1, drainTimeMs: opts.drainTimeMs ?? 1000 });
  await server.start();
  const admin = new AdminServer(new LocalAdminBackend(server, {}, () => undefined));
  const adminPort = await admin.listen('127.0.0.1', 0);
  return {
    server,
    adminPort,
    port(listener: string): number {
      const p = server.listenerPort(listener);
      if (p === undefined) throw new Error(`no listener '${listener}'`);
      return p;
    },
    async waitPort(listener: string, timeoutMs = 5000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const p = server.listenerPort(listener);
        if (p) return p;
        if (Date.now() > deadline) throw new Error(`listener '${listener}' not bound`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close(): Promise<void> {
      await admin.close();
      await server.stop();
    },
  };
}
