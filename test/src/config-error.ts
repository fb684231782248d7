import assert from 'node:assert/strict';
import { ConfigError, parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { registerRpcExtensions } from '@weft/proxy/extensions/rpc-builtins';

// Built synchronously here, so the optional RPC extension is registered up front (the CLI loads it on demand).
registerRpcExtensions();

/** Builds a server from `yaml` (validation happens at construction) and returns the ConfigError message. */
export function configError(yaml: string): string {
  try {
    const server = new ProxyServer(parseBootstrapText(yaml, 'bad.yaml'), { serveTraffic: false, concurrency: 1, drainTimeMs: 0 });
    void server.stop();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}
