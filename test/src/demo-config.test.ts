import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the single-proxy demo bootstrap (`npm run demo:proxy`) is a valid configuration', async () => {
  const file = path.join(repoRoot, 'examples', 'demo', 'bootstrap.yaml');
  const bootstrap = parseBootstrapText(readFileSync(file, 'utf8'), file);
  const server = new ProxyServer(bootstrap, { serveTraffic: false, concurrency: 1, drainTimeMs: 0 });
  await server.start();
  assert.deepEqual(
    server.clusterManager.all().map((c) => c.name),
    ['hello_v1', 'hello_v2'],
  );
  await server.stop();
});
